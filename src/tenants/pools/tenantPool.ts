import type { Client } from 'pg';
import type { TenantAddress } from './tenantPools';
import type { ServerSlots } from './serverSlots';

/** One open (or opening) pg.Client to a tenant's database, held by exactly one slot. */
export interface PooledConnection {
  readonly client: Client;
  readonly pool: TenantPool;
  /** The client reported an error (server restart, pg_terminate_backend): never reuse it. */
  broken: boolean;
  /** Being closed: its slot is freed (or handed over) once `end()` has resolved. */
  closing: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * One tenant's connections. Not a library pool: only counters and an idle list, so that every
 * connection is opened, reused and closed by the manager under its server's slot count.
 * Each change also updates the server's totals, which stats() and the dispatcher read.
 */
export class TenantPool {
  /** Oldest first. Reuse takes the newest, so a surplus ages out under the idle timeout. */
  readonly idle: PooledConnection[] = [];
  busy = 0;
  opening = 0;
  /** Waiters of this tenant in the server's queue (a waiting pool is never forgotten). */
  waiting = 0;
  /** Evicted, or the tenant moved: no new connections; busy ones are closed on release. */
  retired = false;

  constructor(
    readonly tenant: TenantAddress,
    readonly server: ServerSlots,
  ) {}

  /** Connections counted against maxPerTenant. */
  get size(): number {
    return this.idle.length + this.busy + this.opening;
  }

  takeIdle(): PooledConnection | undefined {
    const conn = this.idle.pop();
    if (!conn) return undefined;
    this.server.idle--;
    this.busy++;
    this.server.busy++;
    clearTimeout(conn.idleTimer);
    return conn;
  }

  /** Takes an idle connection out to close it (eviction, idle timeout, error while idle). */
  removeIdle(conn: PooledConnection): boolean {
    const i = this.idle.indexOf(conn);
    if (i < 0) return false;
    this.idle.splice(i, 1);
    this.server.idle--;
    clearTimeout(conn.idleTimer);
    return true;
  }

  /** A busy connection came back and may be reused. */
  addIdle(conn: PooledConnection, idleTimer: NodeJS.Timeout): void {
    this.busy--;
    this.server.busy--;
    conn.idleTimer = idleTimer;
    this.idle.push(conn);
    this.server.idle++;
  }

  /** A busy connection came back and will be closed. */
  dropBusy(): void {
    this.busy--;
    this.server.busy--;
  }

  opened(): void {
    this.opening--;
    this.busy++;
    this.server.busy++;
  }
}
