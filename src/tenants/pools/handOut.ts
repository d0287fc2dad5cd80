import type { ServerSlots, Waiter } from './serverSlots';
import type { PooledConnection, TenantPool } from './tenantPool';

/**
 * Who gets a connection, decided synchronously (no await between the check and the count, so
 * two requests can never both see the last free slot).
 *
 * A grant is either an idle connection of the tenant's own pool, or a slot to open a new one
 * in: a free slot, or the slot of another tenant's idle connection that is being closed
 * (`after` resolves once its `end()` has, so its backend is gone before ours starts).
 */
export type Grant = { connection: PooledConnection } | { pool: TenantPool; after: Promise<void> };

/**
 * How many released connections a waiter lets go to later requests of the connection's own
 * tenant before it gets one itself: reuse is cheap, but it must not starve other tenants.
 */
export const MAX_PASSED_OVER = 2;

export interface HandOutContext {
  maxPerTenant: number;
  /** Closes an idle connection of another tenant; its slot stays taken until `end()`. */
  closeForHandover(victim: PooledConnection): Promise<void>;
}

export function tryGrant(ctx: HandOutContext, pool: TenantPool): Grant | undefined {
  const connection = pool.takeIdle();
  if (connection) return { connection };
  if (pool.size >= ctx.maxPerTenant) return undefined;
  const server = pool.server;
  if (server.takeSlot()) {
    pool.opening++;
    return { pool, after: Promise.resolve() };
  }
  const victim = server.lruIdle(pool);
  if (!victim) return undefined;
  pool.opening++;
  return { pool, after: ctx.closeForHandover(victim) };
}

/**
 * Serves waiting requests after anything changed on the server (a release, a freed slot).
 * A connection just released by `released` goes to a waiter of the same tenant first; then
 * the queue is served oldest first, each waiter by whatever tryGrant finds for it.
 */
export function dispatch(ctx: HandOutContext, server: ServerSlots, released?: TenantPool): void {
  if (released) serveOwnWaiters(ctx, server, released);
  for (let i = 0; i < server.queue.length;) {
    // Nothing to hand out: no own idle connection, no free slot, no idle one to close.
    if (server.slots >= server.cap && server.idle === 0) return;
    const waiter = server.queue[i]!;
    const grant = tryGrant(ctx, waiter.pool);
    if (grant) give(server, waiter, grant);
    else i++;
  }
}

function serveOwnWaiters(ctx: HandOutContext, server: ServerSlots, pool: TenantPool): void {
  const passed: Waiter[] = [];
  for (let i = 0; i < server.queue.length && pool.idle.length > 0;) {
    const waiter = server.queue[i]!;
    if (waiter.pool !== pool) {
      // An older waiter that could use a slot: let it by at most MAX_PASSED_OVER times.
      if (waiter.pool.size < ctx.maxPerTenant) {
        if (waiter.passedOver >= MAX_PASSED_OVER) return;
        passed.push(waiter);
      }
      i++;
      continue;
    }
    give(server, waiter, { connection: pool.takeIdle()! });
    for (const p of passed) p.passedOver++;
  }
}

function give(server: ServerSlots, waiter: Waiter, grant: Grant): void {
  server.removeWaiter(waiter);
  waiter.grant(grant);
}
