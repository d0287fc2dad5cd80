import { ServerSlots } from './serverSlots';
import { TenantPool } from './tenantPool';
import type { TenantAddress } from './tenantPools';

/**
 * The tenant pools held now, by database name, and the servers they are on. A pool without
 * connections or waiters is forgotten, so memory follows active tenants, not every tenant
 * ever seen; servers stay (a handful, named in the configuration).
 */
export class PoolRegistry {
  readonly servers = new Map<string, ServerSlots>();
  private readonly byDb = new Map<string, TenantPool>();

  constructor(
    private readonly cap: number,
    /** The tenant is at another address now (moved): its old pool must go. */
    private readonly onMoved: (old: TenantPool, now: TenantAddress) => void,
  ) {}

  get size(): number {
    return this.byDb.size;
  }

  get(dbName: string): TenantPool | undefined {
    return this.byDb.get(dbName);
  }

  all(): TenantPool[] {
    return [...this.byDb.values()];
  }

  /** The tenant's pool, created on first use, marked as the server's most recently used. */
  poolFor(tenant: TenantAddress): TenantPool {
    const known = this.byDb.get(tenant.dbName);
    if (known && (known.tenant.url !== tenant.url || known.tenant.server !== tenant.server)) {
      this.onMoved(known, tenant); // removes it
    }
    let pool = this.byDb.get(tenant.dbName);
    if (!pool) {
      let server = this.servers.get(tenant.server);
      if (!server)
        this.servers.set(tenant.server, (server = new ServerSlots(tenant.server, this.cap)));
      pool = new TenantPool(tenant, server);
      this.byDb.set(tenant.dbName, pool);
    }
    pool.server.touch(pool);
    return pool;
  }

  forgetIfEmpty(pool: TenantPool): void {
    if (pool.retired || pool.size > 0 || pool.waiting > 0) return;
    this.remove(pool);
  }

  remove(pool: TenantPool): void {
    const { dbName } = pool.tenant;
    if (this.byDb.get(dbName) === pool) this.byDb.delete(dbName);
    if (pool.server.pools.get(dbName) === pool) pool.server.pools.delete(dbName);
  }

  totalSlots(): number {
    let n = 0;
    for (const server of this.servers.values()) n += server.slots;
    return n;
  }
}
