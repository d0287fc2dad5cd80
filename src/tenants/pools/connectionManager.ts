import { TenantConnectionsBusyError } from '../../errors';
import type { Logger } from '../../logger';
import { connectFailure, endClient, newClient, reasonOf, type ClientSettings } from './connections';
import { dispatch, tryGrant, type HandOutContext } from './handOut';
import { PoolRegistry } from './poolRegistry';
import type { ServerSlots } from './serverSlots';
import type { PooledConnection, TenantPool } from './tenantPool';
import { waitForGrant, within } from './waiting';
import type { TenantAddress, TenantPoolStats } from './tenantPools';

export interface ManagerOptions {
  cap: number;
  maxPerTenant: number;
  idleTimeoutMs: number;
  acquireTimeoutMs: number;
  /** How long close() waits for busy connections to come back before cutting them. */
  closeWaitMs: number;
  logger: Logger;
  client: ClientSettings;
}

/**
 * The lifecycle of every tenant connection: opened under a slot, handed out, released to idle
 * (or closed), timed out, evicted. Every slot is given back in exactly one place, freeSlot(),
 * and only after the connection's end() resolved.
 */
export function createConnectionManager(o: ManagerOptions) {
  const registry = new PoolRegistry(o.cap, (old, now) => void retire(old, now));
  const counters = { evictions: 0, idleClosed: 0, timeouts: 0 };
  /** Open connections, for close() to cut the ones that do not come back in time. */
  const live = new Set<PooledConnection>();
  const closings = new Set<Promise<void>>();
  let closed = false;
  let closing: Promise<void> | undefined;
  let onDrained: (() => void) | undefined;

  const ctx: HandOutContext = {
    maxPerTenant: o.maxPerTenant,
    closeForHandover(victim) {
      victim.pool.removeIdle(victim);
      counters.evictions++;
      registry.forgetIfEmpty(victim.pool);
      o.logger.debug(
        { server: victim.pool.server.name, dbName: victim.pool.tenant.dbName },
        'closed the least recently used idle tenant connection to make room for another tenant',
      );
      return track(endConnection(victim)); // the slot is not freed: the caller opens in it
    },
  };

  const log = (pool: TenantPool) => ({ server: pool.server.name, dbName: pool.tenant.dbName });

  function track(p: Promise<void>): Promise<void> {
    closings.add(p);
    void p.finally(() => closings.delete(p));
    return p;
  }

  async function endConnection(conn: PooledConnection): Promise<void> {
    conn.closing = true;
    clearTimeout(conn.idleTimer);
    await endClient(conn.client);
    live.delete(conn);
  }

  function freeSlot(server: ServerSlots): void {
    server.slots--;
    dispatch(ctx, server);
    if (closed && registry.totalSlots() === 0) onDrained?.();
  }

  /** Closes a connection that is no longer idle nor busy; its slot is free after end(). */
  function destroy(conn: PooledConnection): Promise<void> {
    registry.forgetIfEmpty(conn.pool);
    return track(endConnection(conn).then(() => freeSlot(conn.pool.server)));
  }

  async function open(pool: TenantPool, after: Promise<void>): Promise<PooledConnection> {
    await after; // an evicted connection's backend is gone before ours starts
    const conn: PooledConnection = {
      client: newClient(pool.tenant, o.client, (e) => onClientError(conn, e)),
      pool,
      broken: false,
      closing: false,
      idleTimer: undefined,
    };
    try {
      await conn.client.connect();
    } catch (error) {
      pool.opening--;
      conn.closing = true;
      registry.forgetIfEmpty(pool);
      await endClient(conn.client);
      freeSlot(pool.server);
      const reason = reasonOf(error);
      const level = reason === '3D000' ? 'debug' : 'warn';
      o.logger[level]({ ...log(pool), reason }, 'could not open a tenant connection');
      throw connectFailure(error);
    }
    live.add(conn);
    pool.opened();
    if (closed) {
      release(conn, true);
      throw new TenantConnectionsBusyError();
    }
    return conn;
  }

  function onClientError(conn: PooledConnection, error: Error): void {
    conn.broken = true;
    if (conn.closing) return;
    o.logger.warn({ ...log(conn.pool), reason: reasonOf(error) }, 'tenant connection failed');
    if (conn.pool.removeIdle(conn)) void destroy(conn); // a busy one goes on release
  }

  function release(conn: PooledConnection, connectionFailed: boolean): void {
    const { pool } = conn;
    const leftInTransaction = conn.client.getTransactionStatus() !== 'I';
    if (connectionFailed || conn.broken || pool.retired || closed || leftInTransaction) {
      if (leftInTransaction && !connectionFailed && !conn.broken) {
        o.logger.warn(log(pool), 'work left a transaction open; its connection was closed');
      }
      pool.dropBusy();
      void destroy(conn);
      // The tenant is below its maximum now: a waiter of its own may take an idle slot elsewhere.
      dispatch(ctx, pool.server);
      return;
    }
    const timer = setTimeout(() => idleExpired(conn), o.idleTimeoutMs).unref();
    pool.addIdle(conn, timer);
    pool.server.touch(pool);
    dispatch(ctx, pool.server, pool);
  }

  function idleExpired(conn: PooledConnection): void {
    if (!conn.pool.removeIdle(conn)) return;
    counters.idleClosed++;
    void destroy(conn);
  }

  /** Closes idle connections now; busy ones go on release; waiters move to the next pool. */
  function retire(pool: TenantPool, replacement?: TenantAddress): Promise<void> {
    pool.retired = true;
    registry.remove(pool);
    const ended = [...pool.idle].map((conn) => (pool.removeIdle(conn), destroy(conn)));
    const waiters = pool.server.queue.filter((w) => w.pool === pool);
    waiters.forEach((w) => pool.server.removeWaiter(w));
    if (closed) waiters.forEach((w) => w.fail(new TenantConnectionsBusyError()));
    else if (waiters.length > 0) {
      const next = registry.poolFor(replacement ?? pool.tenant);
      for (const w of waiters) {
        w.pool = next;
        next.waiting++;
        next.server.queue.push(w);
      }
      dispatch(ctx, next.server);
    }
    return Promise.all(ended).then(() => undefined);
  }

  async function shutDown(): Promise<void> {
    closed = true;
    for (const server of registry.servers.values()) {
      for (const w of [...server.queue]) {
        server.removeWaiter(w);
        w.fail(new TenantConnectionsBusyError());
      }
    }
    await Promise.all(registry.all().map((pool) => retire(pool)));
    if (registry.totalSlots() > 0) {
      const drained = new Promise<void>((resolve) => (onDrained = resolve));
      if (!(await within(drained, o.closeWaitMs))) {
        o.logger.warn({ busy: live.size }, 'tenant connections still busy at close; cutting them');
        await Promise.all([...live].map(endConnection));
      }
    }
    await Promise.all([...closings]);
  }

  return {
    async acquire(tenant: TenantAddress): Promise<PooledConnection> {
      if (closed) throw new TenantConnectionsBusyError();
      const pool = registry.poolFor(tenant);
      const grant =
        tryGrant(ctx, pool) ??
        (await waitForGrant(pool, o.acquireTimeoutMs, (waiter) => {
          counters.timeouts++;
          registry.forgetIfEmpty(waiter.pool);
          o.logger.debug(log(waiter.pool), 'no tenant connection came free in time');
        }));
      if ('connection' in grant) return grant.connection;
      return open(grant.pool, grant.after);
    },
    release,
    async evict(dbName: string): Promise<void> {
      const pool = registry.get(dbName);
      if (pool) await retire(pool);
    },
    stats(): TenantPoolStats {
      const servers: TenantPoolStats['servers'] = {};
      for (const s of registry.servers.values()) servers[s.name] = s.snapshot();
      return { servers, pools: registry.size, ...counters };
    },
    close: () => (closing ??= shutDown()),
  };
}
