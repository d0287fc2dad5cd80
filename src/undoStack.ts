import type { Logger } from './logger';

/**
 * Steps to undo, run newest first: a signup's compensations (each step registers its undo
 * right after it succeeds) and a service's shutdown (each part registers its stop right
 * after it starts). The two differ in one thing, what a failing undo means:
 * - `stop`: a signup stops there; whatever is left (at least its catalog reservation,
 *   registered first) stays for the reconciler, which needs it to finish the job;
 * - `continue`: a shutdown goes on, so one stuck part does not keep the others open.
 */
export class UndoStack {
  private readonly undos: { name: string; undo: () => Promise<void> }[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly options: { label: string; onFailure: 'stop' | 'continue'; logDone?: boolean },
  ) {}

  add(name: string, undo: () => Promise<void>): void {
    this.undos.push({ name, undo });
  }

  /** Runs (and forgets) the undos; resolves to true when every one succeeded. */
  async run(): Promise<boolean> {
    const { label, onFailure, logDone } = this.options;
    let clean = true;
    for (const { name, undo } of this.undos.splice(0).reverse()) {
      try {
        await undo();
        if (logDone) this.logger.info({ step: name }, `${label} done`);
      } catch (error) {
        clean = false;
        const next = onFailure === 'stop' ? 'left for reconcile' : 'going on';
        this.logger.error({ step: name, err: error }, `${label} failed; ${next}`);
        if (onFailure === 'stop') return false;
      }
    }
    return clean;
  }
}
