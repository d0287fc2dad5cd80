import { reconcileSignups, type ReconcileDeps, type ReconcileSummary } from './reconcile';
import { checkTombstones } from './tombstoneChecks';

/**
 * The server's background reconciler, owned by the service object (one lifecycle: it starts
 * with the service and stops in its close()). Two rhythms:
 * - every `intervalSeconds`, a full reconcile (abandoned signups, orphaned databases);
 * - every `tickMs`, the tombstones that are due, so a late Auth0 user goes within seconds
 *   rather than within an interval. A tick with nothing due is one indexed catalog query
 *   and no Auth0 call.
 * `soon()` brings the next full reconcile forward to the next tick (an undo just failed).
 * `intervalSeconds` 0 turns both off: reconciling happens at start-up and from the CLI.
 */

export interface ReconcileLoop {
  /** A full reconcile now (start-up, tests), after any pass in progress. */
  runNow(): Promise<ReconcileSummary>;
  soon(): void;
  stop(): Promise<void>;
}

export interface ReconcileLoopOptions {
  intervalSeconds: number;
  tickMs?: number;
}

export function createReconcileLoop(
  deps: ReconcileDeps,
  { intervalSeconds, tickMs = 2000 }: ReconcileLoopOptions,
): ReconcileLoop {
  const { tombstones } = deps.catalog;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let ticking = false;
  let fullDueAt = Date.now() + intervalSeconds * 1000;

  /** Passes never overlap within the process (the advisory lock keeps processes apart). */
  const serially = <T>(pass: () => Promise<T>): Promise<T> => {
    const next = running.then(pass, pass);
    running = next.catch(() => undefined);
    return next;
  };

  const full = () => {
    fullDueAt = Date.now() + intervalSeconds * 1000;
    return reconcileSignups(deps);
  };

  const tick = async () => {
    if (Date.now() >= fullDueAt) await full();
    else await checkTombstones({ tombstones, auth0: deps.auth0, logger: deps.logger });
  };

  const timer =
    intervalSeconds > 0
      ? setInterval(() => {
          // A slow pass (Auth0 slow to answer) skips ticks rather than queueing them.
          if (stopped || ticking) return;
          ticking = true;
          void serially(tick)
            .catch((err: unknown) =>
              deps.logger.error({ err }, 'background reconcile failed; retried on the next tick'),
            )
            .finally(() => (ticking = false));
        }, tickMs).unref()
      : undefined;

  return {
    runNow: () => serially(full),
    soon() {
      fullDueAt = Math.min(fullDueAt, Date.now());
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
