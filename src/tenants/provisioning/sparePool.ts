import type { Logger } from '../../logger';

/**
 * Spare databases: template clones a server keeps ready, so that a signup takes one (a
 * rename) instead of waiting for CREATE DATABASE. The clone is the slow, disk-bound part of a
 * signup; with a spare it happens between signups instead of during one.
 *
 * - One clone at a time is made in the background, until `size` are ready or being made.
 * - A signup takes the oldest spare; if it is still being made, the signup waits for it (no
 *   second clone competes with it for the disk). With none at all it clones its own.
 * - A failed clone is not retried by itself: the next take tries again, so a broken template
 *   costs one attempt per signup, not a loop (and one warning per outage, not per signup).
 * - close() stops refilling and drops the spares. A server killed with -9 leaves them; they
 *   are named after its owner lock and the reconciler drops them (schools/reconcile.ts).
 */

export interface SpareStats {
  /** Signups that got a spare. */
  served: number;
  /** Signups that found none and cloned their own. */
  missed: number;
  /** Spares ready now. */
  ready: number;
}

export interface SparePool {
  /** Starts making spares (once the template is ready to be cloned); take() refills too. */
  fill(): void;
  /** A spare's name, now the caller's (it is no longer the pool's); undefined if none. */
  take(): Promise<string | undefined>;
  stats(): SpareStats;
  /** Resolves once no clone is being made (benchmarks measure the server at rest). */
  idle(): Promise<void>;
  /** Stops refilling and drops every spare still held. */
  close(): Promise<void>;
}

export interface SparePoolOptions {
  size: number;
  /** A fresh name for the next spare. */
  nameFor(): string;
  /** Clones the template into `name`; false when the template cannot serve (not at latest). */
  create(name: string): Promise<boolean>;
  drop(name: string): Promise<void>;
  logger: Logger;
}

interface Spare {
  name: string;
  made: Promise<boolean>;
  ready: boolean;
}

export function createSparePool(opts: SparePoolOptions): SparePool {
  const { size, logger } = opts;
  /** Spares nobody has taken, oldest first; at most one is still being made. */
  const spares: Spare[] = [];
  let making: Promise<unknown> = Promise.resolve();
  let busy = false;
  let closed = false;
  let served = 0;
  let missed = 0;
  /**
   * A failure is retried at every signup's take, so while the template is unavailable one
   * warning says so; the repeats go to debug, and the recovery is said once too.
   */
  let failing = false;
  const report = (message: string, error?: unknown) => {
    if (failing) logger.debug({ err: error }, message);
    else logger.warn({ err: error }, `${message} (repeats are logged at debug level)`);
    failing = true;
  };
  const recovered = () => {
    if (failing) logger.info('spare databases are being made again');
    failing = false;
  };

  const refill = (): void => {
    if (closed || busy || spares.length >= size) return;
    busy = true;
    const spare: Spare = { name: opts.nameFor(), made: Promise.resolve(false), ready: false };
    spare.made = opts.create(spare.name).then(
      (ok) => {
        if (!ok) report('the tenant template cannot be cloned; no spare database made');
        return ok;
      },
      (error: unknown) => {
        report('making a spare database failed', error);
        return false;
      },
    );
    spares.push(spare);
    making = spare.made.then((ok) => {
      busy = false;
      spare.ready = ok;
      if (!ok) {
        const at = spares.indexOf(spare);
        if (at >= 0) spares.splice(at, 1);
        return;
      }
      recovered();
      refill();
    });
  };

  return {
    fill: refill,
    async take() {
      const spare = spares.shift();
      const name = spare && (await spare.made) ? spare.name : undefined;
      if (name) served++;
      else missed++;
      refill();
      return name;
    },
    stats: () => ({ served, missed, ready: spares.filter((s) => s.ready).length }),
    async idle() {
      while (busy) await making;
    },
    async close() {
      closed = true;
      const left = spares.splice(0);
      for (const spare of left) {
        if (await spare.made) {
          await opts.drop(spare.name).catch((error: unknown) => {
            logger.warn({ err: error, dbName: spare.name }, 'dropping a spare database failed');
          });
        }
      }
    },
  };
}
