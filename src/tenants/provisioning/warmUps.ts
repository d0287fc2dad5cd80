import type { Logger } from '../../logger';
import { warmDatabase } from '../serverDatabases';

/**
 * Opens a first session in new tenant databases in the background (warmDatabase), so the
 * first fleet migration does not pay for building their caches. One at a time, at most
 * `maxPending` waiting (beyond that a tenant is left for its first migration to warm): a
 * burst of signups must not double its connections.
 */
export interface WarmUps {
  /** Warms `dbName` now (spares: before they are handed out). Never rejects. */
  now(dbName: string): Promise<void>;
  /** Queues `dbName` to be warmed after the ones before it. */
  later(dbName: string): void;
  /** Resolves once every queued warm-up is done. */
  drained(): Promise<void>;
}

export function createWarmUps(serverUrl: string, logger: Logger, maxPending = 100): WarmUps {
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const now = (dbName: string) =>
    warmDatabase(serverUrl, dbName).catch((error: unknown) => {
      // Only a cache left cold: the first migration builds it instead.
      logger.debug({ err: error, dbName }, 'warming a tenant database failed');
    });
  return {
    now,
    later(dbName) {
      if (pending >= maxPending) return;
      pending++;
      queue = queue.then(() => now(dbName)).finally(() => void pending--);
    },
    drained: () => queue,
  };
}
