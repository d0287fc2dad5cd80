import type { Grant } from './handOut';
import type { PooledConnection, TenantPool } from './tenantPool';

/** A request waiting for a connection on one server. */
export interface Waiter {
  pool: TenantPool;
  /** Times a later request of another tenant got a released connection before this one. */
  passedOver: number;
  grant(grant: Grant): void;
  fail(error: Error): void;
}

/**
 * One server's share of the cap. `slots` counts every connection that may have a backend on
 * the server: opening, idle, busy and closing (until `end()` resolved). A connection is only
 * opened after taking a slot, and a slot is only freed or reused after `end()`, so the count
 * of backends is never above `slots`, and `slots` is never above the cap.
 */
export class ServerSlots {
  slots = 0;
  peakOpen = 0;
  idle = 0;
  busy = 0;
  /** Tenant pools on this server, least recently used first (a Map keeps insertion order). */
  readonly pools = new Map<string, TenantPool>();
  /** FIFO across tenants. */
  readonly queue: Waiter[] = [];

  constructor(
    readonly name: string,
    readonly cap: number,
  ) {}

  takeSlot(): boolean {
    if (this.slots >= this.cap) return false;
    this.slots++;
    this.peakOpen = Math.max(this.peakOpen, this.slots);
    return true;
  }

  /** Marks the pool as just used (moves it to the end of the LRU order). */
  touch(pool: TenantPool): void {
    this.pools.delete(pool.tenant.dbName);
    this.pools.set(pool.tenant.dbName, pool);
  }

  /** The oldest idle connection of the least recently used pool other than `except`. */
  lruIdle(except: TenantPool): PooledConnection | undefined {
    if (this.idle === 0) return undefined;
    for (const pool of this.pools.values()) {
      if (pool !== except && pool.idle.length > 0) return pool.idle[0];
    }
    return undefined;
  }

  snapshot() {
    const { slots: open, busy, idle, peakOpen } = this;
    return { open, busy, idle, waiting: this.queue.length, peakOpen };
  }

  removeWaiter(waiter: Waiter): boolean {
    const i = this.queue.indexOf(waiter);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    waiter.pool.waiting--;
    return true;
  }
}
