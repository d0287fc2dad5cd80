import type { Logger } from '../logger';

/**
 * Undo steps for a signup in flight. Each step registers its undo right after it succeeds;
 * on failure they run newest first. If an undo itself fails we stop there: whatever is left
 * (at least the catalog reservation, registered first) stays for the reconciler to finish.
 */
export class Compensations {
  private readonly undos: { name: string; undo: () => Promise<void> }[] = [];

  constructor(private readonly logger: Logger) {}

  add(name: string, undo: () => Promise<void>): void {
    this.undos.push({ name, undo });
  }

  /** Runs the undos; resolves to true when everything was undone. */
  async run(): Promise<boolean> {
    for (const { name, undo } of this.undos.reverse()) {
      try {
        await undo();
        this.logger.info({ step: name }, 'signup compensation done');
      } catch (error) {
        this.logger.error(
          { step: name, err: error },
          'signup compensation failed; left for reconcile',
        );
        return false;
      }
    }
    return true;
  }
}
