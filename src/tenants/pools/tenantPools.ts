import type { ClientBase } from 'pg';
import { isDatabaseUnavailable } from '../../db/unavailable';
import type { Logger } from '../../logger';
import { createConnectionManager } from './connectionManager';

/**
 * Connections to tenant databases for the school's API. Fleets die of connection exhaustion
 * and of pools never evicted, so the cap counts open connections per server (not pools), an
 * idle connection of the least recently used tenant is closed to make room for another, and
 * a request that finds none waits a bounded time, then gets a 503 with Retry-After.
 */

export interface TenantAddress {
  dbName: string;
  server: string;
  /** server.urlOf(dbName); carries the password: never logged. */
  url: string;
}

export interface TenantPoolsOptions {
  /** Hard cap of open tenant connections on each server. */
  maxConnectionsPerServer: number;
  maxPerTenant: number;
  idleTimeoutMs: number;
  acquireTimeoutMs: number;
  logger: Logger;
  /** application_name of every connection, so pg_stat_activity can count them; default 'tenant-signup:tenant-api'. */
  applicationName?: string;
  /** statement_timeout on each connection; default 10000 ms. */
  statementTimeoutMs?: number;
}

export interface TenantPoolStats {
  servers: Record<
    string,
    { open: number; busy: number; idle: number; waiting: number; peakOpen: number }
  >;
  /** Tenant pools currently held. */
  pools: number;
  /** Idle connections/pools closed to make room for another tenant (not idle timeouts). */
  evictions: number;
  /** Closed by the idle timeout. */
  idleClosed: number;
  /** Acquisitions that gave up (503). */
  timeouts: number;
}

export interface TenantPools {
  /** Runs work on one connection to the tenant's database; released after (destroyed if work threw a connection-level error). */
  withConnection<T>(tenant: TenantAddress, work: (client: ClientBase) => Promise<T>): Promise<T>;
  /** Closes the tenant's pool: idle connections now, busy ones as they are released; the next use opens a new pool (for deletes and moves). */
  evict(dbName: string): Promise<void>;
  stats(): TenantPoolStats;
  /** Rejects waiters, closes every connection (busy ones as they come back, bounded wait), refuses new work. */
  close(): Promise<void>;
}

export const DEFAULT_APPLICATION_NAME = 'tenant-signup:tenant-api';
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

export function createTenantPools(options: TenantPoolsOptions): TenantPools {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const manager = createConnectionManager({
    cap: options.maxConnectionsPerServer,
    maxPerTenant: options.maxPerTenant,
    idleTimeoutMs: options.idleTimeoutMs,
    acquireTimeoutMs: options.acquireTimeoutMs,
    // A busy connection's statement ends within statement_timeout; close() waits that long.
    closeWaitMs: statementTimeoutMs,
    logger: options.logger.child({ component: 'tenant-pools' }),
    client: {
      applicationName: options.applicationName ?? DEFAULT_APPLICATION_NAME,
      statementTimeoutMs,
      // A server that does not answer must not hold a slot for long; a slow but healthy one
      // on a loaded machine still gets a few seconds.
      connectTimeoutMs: Math.max(options.acquireTimeoutMs, 5000),
    },
  });

  return {
    async withConnection(tenant, work) {
      const conn = await manager.acquire(tenant);
      let failure: { error: unknown } | undefined;
      try {
        return await work(conn.client);
      } catch (error) {
        failure = { error };
        throw error;
      } finally {
        manager.release(conn, failure !== undefined && isDatabaseUnavailable(failure.error));
      }
    },
    evict: (dbName) => manager.evict(dbName),
    stats: () => manager.stats(),
    close: () => manager.close(),
  };
}
