import { Client } from 'pg';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { DatabaseUnavailableError, TenantConnectionsBusyError } from '../../src/errors';
import {
  createTenantPools,
  type TenantAddress,
  type TenantPools,
  type TenantPoolsOptions,
} from '../../src/tenants/pools/tenantPools';
import { captureLogs } from '../helpers/logCapture';
import { freePort } from '../helpers/serverProcess';
import { serverUrl, uniqueSuffix } from '../helpers/testService';
import { waitUntil } from '../helpers/waitUntil';

/**
 * The tenant connection manager against the real test server: 120 small tenant databases of
 * this file's own, pg_stat_activity watched from outside (by application_name, unique per
 * test) to prove the per-server cap is never exceeded, not even for a moment.
 */

jest.setTimeout(180_000);

/** Trust auth ignores it; it is in every tenant URL to prove that no log line shows it. */
const PASSWORD = 'tEnant-pool-pw';
const PREFIX = `test_pool_${uniqueSuffix()}`;
const TENANTS = Array.from({ length: 120 }, (_, i) => `${PREFIX}_${i}`);

let admin: Knex;
let logs: ReturnType<typeof captureLogs>;
const opened: TenantPools[] = [];

function urlWithPassword(db: string, base = serverUrl()): string {
  const url = new URL(withDatabase(base, db));
  url.password = PASSWORD;
  return url.toString();
}

function tenant(dbName: string, server = 'default'): TenantAddress {
  return { dbName, server, url: urlWithPassword(dbName) };
}

/** A pool manager with a unique application_name, closed after the test if it is not. */
function pools(overrides: Partial<TenantPoolsOptions> = {}): { pools: TenantPools; app: string } {
  const app = `tenant-pools-test-${uniqueSuffix()}`;
  const created = createTenantPools({
    maxConnectionsPerServer: 5,
    maxPerTenant: 2,
    idleTimeoutMs: 60_000,
    acquireTimeoutMs: 5_000,
    logger: logs.logger,
    applicationName: app,
    ...overrides,
  });
  opened.push(created);
  return { pools: created, app };
}

/** Backends of one application_name, by database (the test's own view, as psql would). */
async function backends(app: string): Promise<{ datname: string; pid: number }[]> {
  const rows = await admin.raw<{ rows: { datname: string; pid: number }[] }>(
    'SELECT datname, pid FROM pg_stat_activity WHERE application_name = ?',
    [app],
  );
  return rows.rows;
}

/**
 * Samples pg_stat_activity every ~10 ms on a connection of its own and keeps the highest
 * count seen, overall and per group of databases (a "server").
 */
async function startSampler(app: string, groups: Record<string, Set<string>> = {}) {
  const client = new Client({
    connectionString: withDatabase(serverUrl(), 'postgres'),
    application_name: 'tenant-pools-test-sampler',
  });
  await client.connect();
  let running = true;
  let samples = 0;
  let max = 0;
  const groupMax: Record<string, number> = Object.fromEntries(
    Object.keys(groups).map((g) => [g, 0]),
  );
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ datname: string; n: number }>(
        `SELECT datname, count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = $1 GROUP BY datname`,
        [app],
      );
      samples++;
      max = Math.max(
        max,
        rows.reduce((sum, r) => sum + r.n, 0),
      );
      for (const [name, dbs] of Object.entries(groups)) {
        const n = rows.filter((r) => dbs.has(r.datname)).reduce((sum, r) => sum + r.n, 0);
        groupMax[name] = Math.max(groupMax[name]!, n);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return { samples, max, groupMax };
    },
  };
}

/** A promise the test resolves when it lets held work finish. */
function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

const pidOf = async (client: { query: Client['query'] }) =>
  (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** Runs one request and tells what came back: the database it ran in, or the error. */
async function settle<T>(p: Promise<T>): Promise<{ ok: T } | { error: unknown }> {
  try {
    return { ok: await p };
  } catch (error) {
    return { error };
  }
}

beforeAll(async () => {
  admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 2 } });
  for (const db of TENANTS) await admin.raw('CREATE DATABASE ?? TEMPLATE template0', [db]);
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  expect(logs.text()).not.toContain(PASSWORD);
});

afterAll(async () => {
  for (const db of TENANTS) await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await admin.destroy();
});

describe('under load', () => {
  test('when 120 tenants send requests at once with a cap of 5, answers are right, the only errors are TenantConnectionsBusyError, and pg_stat_activity never shows more than 5', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 5, acquireTimeoutMs: 1000 });
    const sampler = await startSampler(app);
    const results: { db: string; result: Awaited<ReturnType<typeof settle<string>>> }[] = [];
    for (let round = 0; round < 3; round++) {
      const wave = TENANTS.map(async (db) => ({
        db,
        result: await settle(
          p.withConnection(tenant(db), async (client) => {
            const { rows } = await client.query<{ db: string }>(
              'SELECT current_database() AS db, pg_sleep(0.002)',
            );
            return rows[0]!.db;
          }),
        ),
      }));
      results.push(...(await Promise.all(wave)));
    }
    const seen = await sampler.stop();

    const served = results.filter((r) => 'ok' in r.result);
    const refused = results.flatMap((r) => ('error' in r.result ? [r.result.error] : []));
    expect(served.length).toBeGreaterThan(0);
    for (const r of served) expect(r.result).toEqual({ ok: r.db });
    for (const error of refused) {
      expect(error).toBeInstanceOf(TenantConnectionsBusyError);
      expect((error as TenantConnectionsBusyError).headers()).toEqual({ 'Retry-After': '1' });
    }
    expect(served.length + refused.length).toBe(TENANTS.length * 3);
    expect(seen.samples).toBeGreaterThan(10);
    expect(seen.max).toBeGreaterThan(0);
    expect(seen.max).toBeLessThanOrEqual(5);
    const stats = p.stats();
    expect(stats.servers.default!.peakOpen).toBeLessThanOrEqual(5);
    expect(stats.evictions).toBeGreaterThan(0); // idle connections were handed to other tenants
    expect(stats.timeouts).toBe(refused.length);
    expect(stats.servers.default).toMatchObject({ busy: 0, waiting: 0 });

    await p.close();
    expect(await backends(app)).toEqual([]);
  });

  test('two servers each get their own cap: pg_stat_activity shows at most the cap per server, and both at once', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 3, acquireTimeoutMs: 1000 });
    const onA = TENANTS.slice(0, 30);
    const onB = TENANTS.slice(30, 60);
    const sampler = await startSampler(app, { a: new Set(onA), b: new Set(onB) });
    const work = (db: string, server: string) =>
      settle(p.withConnection(tenant(db, server), (c) => c.query('SELECT pg_sleep(0.002)')));
    const all = await Promise.all([
      ...onA.flatMap((db) => [work(db, 'a'), work(db, 'a')]),
      ...onB.flatMap((db) => [work(db, 'b'), work(db, 'b')]),
    ]);
    const seen = await sampler.stop();
    for (const r of all) {
      if ('error' in r) expect(r.error).toBeInstanceOf(TenantConnectionsBusyError);
    }
    expect(seen.groupMax.a).toBeLessThanOrEqual(3);
    expect(seen.groupMax.b).toBeLessThanOrEqual(3);
    expect(p.stats().servers.a!.peakOpen).toBeLessThanOrEqual(3);
    expect(p.stats().servers.b!.peakOpen).toBeLessThanOrEqual(3);

    // Held open: three on each server at the same time, a fourth on `a` has to wait.
    const held = gate();
    const holds = [
      ...onA.slice(0, 3).map((db) => tenant(db, 'a')),
      ...onB.slice(0, 3).map((db) => tenant(db, 'b')),
    ].map((address) => p.withConnection(address, () => held.wait));
    await waitUntil(
      'six busy connections',
      () => (p.stats().servers.a!.busy === 3 && p.stats().servers.b!.busy === 3) || undefined,
    );
    expect((await backends(app)).length).toBe(6);
    const fourth = settle(p.withConnection(tenant(onA[3]!, 'a'), () => Promise.resolve('served')));
    await waitUntil(
      'the fourth request on a waiting',
      () => p.stats().servers.a!.waiting === 1 || undefined,
    );
    held.open();
    await Promise.all(holds);
    expect(await fourth).toEqual({ ok: 'served' });
  });
});

describe('eviction and waiting', () => {
  test('when the cap is reached by idle pools, a new tenant is served at once by closing the least recently used tenant’s connection', async () => {
    const { pools: p, app } = pools({
      maxConnectionsPerServer: 3,
      maxPerTenant: 1,
      acquireTimeoutMs: 300,
    });
    const [a, b, c, d] = TENANTS as [string, string, string, string];
    const pid: Record<string, number> = {};
    for (const db of [a, b, c, a]) pid[db] = await p.withConnection(tenant(db), pidOf);
    expect(p.stats()).toMatchObject({ evictions: 0, servers: { default: { open: 3, idle: 3 } } });

    // b is the least recently used (a was used again); if d had to wait, nobody would release.
    const during = await p.withConnection(tenant(d), async (client) => ({
      pid: await pidOf(client),
      backends: await backends(app),
    }));
    expect(p.stats()).toMatchObject({ evictions: 1, timeouts: 0 });
    const pidsDuring = during.backends.map((r) => r.pid).sort();
    expect(pidsDuring).toEqual([pid[a], pid[c], during.pid].sort());
    expect(during.backends.map((r) => r.datname).sort()).toEqual([a, c, d].sort());
    expect(p.stats().pools).toBe(3); // b's empty pool was forgotten
  });

  test('when every connection is busy, a request waits acquireTimeoutMs and then fails with TenantConnectionsBusyError (Retry-After 1)', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 2, acquireTimeoutMs: 300 });
    const held = gate();
    const holds = [TENANTS[0]!, TENANTS[1]!].map((db) =>
      p.withConnection(tenant(db), () => held.wait),
    );
    await waitUntil('two busy', () => p.stats().servers.default?.busy === 2 || undefined);

    const started = Date.now();
    const refused = await settle(
      p.withConnection(tenant(TENANTS[2]!), () => Promise.resolve('ran')),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect('error' in refused && refused.error).toBeInstanceOf(TenantConnectionsBusyError);
    const error = (refused as { error: TenantConnectionsBusyError }).error;
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.status).toBe(503);
    expect(p.stats()).toMatchObject({ timeouts: 1, pools: 2 }); // the waiter's empty pool is gone
    expect((await backends(app)).length).toBe(2);
    held.open();
    await Promise.all(holds);
  });

  test('a waiting request is served when another tenant releases its connection, without ever exceeding the cap', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 2, acquireTimeoutMs: 20_000 });
    const first = gate();
    const second = gate();
    const holds = [
      p.withConnection(tenant(TENANTS[0]!), () => first.wait),
      p.withConnection(tenant(TENANTS[1]!), () => second.wait),
    ];
    await waitUntil('two busy', () => p.stats().servers.default?.busy === 2 || undefined);
    const waiting = p.withConnection(tenant(TENANTS[2]!), async (client) => ({
      db: (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db,
      backends: (await backends(app)).length,
    }));
    await waitUntil('a waiter', () => p.stats().servers.default?.waiting === 1 || undefined);
    first.open();
    expect(await waiting).toEqual({ db: TENANTS[2], backends: 2 });
    expect(p.stats().evictions).toBe(1); // the released connection was closed for it
    second.open();
    await Promise.all(holds);
  });

  test('a tenant never holds more than maxPerTenant connections; its extra requests reuse its own while other tenants are served', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 10, maxPerTenant: 2 });
    const [a, b] = TENANTS as [string, string];
    const held = gate();
    const pids: number[] = [];
    const holding = [1, 2].map(() =>
      p.withConnection(tenant(a), async (client) => {
        pids.push(await pidOf(client));
        await held.wait;
      }),
    );
    await waitUntil('a holds two', () => pids.length === 2 || undefined);
    const third = p.withConnection(tenant(a), pidOf);
    await waitUntil(
      'a third request waiting',
      () => p.stats().servers.default?.waiting === 1 || undefined,
    );
    expect(await p.withConnection(tenant(b), () => Promise.resolve('b served'))).toBe('b served');
    expect((await backends(app)).filter((r) => r.datname === a)).toHaveLength(2);
    held.open();
    await Promise.all(holding);
    expect(pids).toContain(await third); // it got one of a's own connections
    expect(p.stats().evictions).toBe(0);
  });
  test('a released connection goes to a waiter of its own tenant first, but an older waiter of another tenant is let by at most twice', async () => {
    const { pools: p } = pools({ maxConnectionsPerServer: 2, maxPerTenant: 2 });
    const [a, b] = TENANTS as [string, string];
    const order: string[] = [];
    const run = (db: string, name: string) =>
      p.withConnection(tenant(db), () => Promise.resolve(void order.push(name)));
    const first = gate();
    const second = gate();
    const holds = [
      p.withConnection(tenant(a), () => first.wait),
      p.withConnection(tenant(a), () => second.wait),
    ];
    await waitUntil('a holds two', () => p.stats().servers.default?.busy === 2 || undefined);
    const waiting = [run(b, 'b')];
    await waitUntil('b waiting', () => p.stats().servers.default?.waiting === 1 || undefined);
    waiting.push(run(a, 'a3'), run(a, 'a4'), run(a, 'a5'));
    await waitUntil('four waiting', () => p.stats().servers.default?.waiting === 4 || undefined);
    first.open();
    await Promise.all(waiting);
    expect(order).toEqual(['a3', 'a4', 'b', 'a5']);
    second.open();
    await Promise.all(holds);
  });
});

describe('closing connections', () => {
  test('the idle timeout closes idle connections and forgets their pools', async () => {
    const { pools: p, app } = pools({ idleTimeoutMs: 200 });
    for (const db of TENANTS.slice(0, 3)) await p.withConnection(tenant(db), pidOf);
    expect(p.stats().pools).toBe(3);
    await waitUntil(
      'idle connections closed',
      async () => (await backends(app)).length === 0 || undefined,
    );
    await waitUntil('pools forgotten', () => p.stats().pools === 0 || undefined);
    expect(p.stats()).toMatchObject({
      idleClosed: 3,
      evictions: 0,
      servers: { default: { open: 0 } },
    });
  });

  test('evict(dbName) closes idle connections now and busy ones when released; the next use opens a new pool', async () => {
    const { pools: p, app } = pools();
    const [a, b] = TENANTS as [string, string];
    const held = gate();
    let busyPid = 0;
    const busy = p.withConnection(tenant(a), async (client) => {
      busyPid = await pidOf(client);
      await held.wait;
    });
    const idlePid = await p.withConnection(tenant(a), pidOf);
    await p.withConnection(tenant(b), pidOf);
    await p.evict(a);
    const left = await backends(app);
    expect(left.map((r) => r.pid)).not.toContain(idlePid);
    expect(left.filter((r) => r.datname === a).map((r) => r.pid)).toEqual([busyPid]);
    expect(left.filter((r) => r.datname === b)).toHaveLength(1);
    held.open();
    await busy;
    await waitUntil(
      'the busy one closed',
      async () => (await backends(app)).every((r) => r.datname !== a) || undefined,
    );
    const fresh = await p.withConnection(tenant(a), pidOf);
    expect([idlePid, busyPid]).not.toContain(fresh);
  });

  test('a connection being closed keeps its slot until its backend is gone; a waiter gets the slot after', async () => {
    const { pools: p, app } = pools({ maxConnectionsPerServer: 1, maxPerTenant: 1 });
    const [a, b] = TENANTS as [string, string];
    await p.withConnection(tenant(a), pidOf);
    const evicting = p.evict(a);
    expect(p.stats().servers.default).toMatchObject({ open: 1, idle: 0 }); // closing still counts
    await evicting;
    expect(p.stats().servers.default).toMatchObject({ open: 0 });

    // A busy connection of an evicted pool is destroyed on release; the waiter opens after.
    const held = gate();
    const busy = p.withConnection(tenant(a), () => held.wait);
    await waitUntil('a busy', () => p.stats().servers.default?.busy === 1 || undefined);
    const waiting = p.withConnection(tenant(b), async () =>
      (await backends(app)).map((r) => r.datname),
    );
    await waitUntil('b waiting', () => p.stats().servers.default?.waiting === 1 || undefined);
    await p.evict(a);
    held.open();
    await busy;
    expect(p.stats().servers.default).toMatchObject({ open: 1 });
    expect(await waiting).toEqual([b]);
  });

  test('close() rejects waiters, closes idle connections, waits for busy ones, then refuses new work', async () => {
    const { pools: p, app } = pools({ maxPerTenant: 1 });
    const held = gate();
    await p.withConnection(tenant(TENANTS[0]!), pidOf); // idle
    const busy = p.withConnection(tenant(TENANTS[1]!), () => held.wait);
    await waitUntil('one busy', () => p.stats().servers.default?.busy === 1 || undefined);
    // The same tenant again: at its maximum, so it waits (another tenant's idle is no use).
    const waiter = p.withConnection(tenant(TENANTS[1]!), pidOf);
    await waitUntil('a waiter', () => p.stats().servers.default?.waiting === 1 || undefined);
    const closing = p.close();
    await expect(waiter).rejects.toBeInstanceOf(TenantConnectionsBusyError);
    await waitUntil(
      'only the busy one left',
      async () => (await backends(app)).length === 1 || undefined,
    );
    held.open();
    await busy;
    await closing;
    expect(await backends(app)).toEqual([]);
    await expect(p.withConnection(tenant(TENANTS[0]!), pidOf)).rejects.toBeInstanceOf(
      TenantConnectionsBusyError,
    );
  });

  test('close() waits a bounded time for work that does not come back, then cuts its connection', async () => {
    const { pools: p, app } = pools({ statementTimeoutMs: 300 });
    const never = gate();
    const stuck = settle(p.withConnection(tenant(TENANTS[0]!), () => never.wait));
    await waitUntil('one busy', () => p.stats().servers.default?.busy === 1 || undefined);
    await p.close();
    expect(await backends(app)).toEqual([]);
    expect(logs.text()).toContain('still busy at close');
    never.open();
    await stuck;
  });
});

describe('failures', () => {
  test('a connection killed with pg_terminate_backend while idle is dropped, and the next request works', async () => {
    const { pools: p, app } = pools();
    const db = TENANTS[0]!;
    const killed = await p.withConnection(tenant(db), pidOf);
    await admin.raw('SELECT pg_terminate_backend(?)', [killed]);
    await waitUntil(
      'the idle connection dropped',
      () => p.stats().servers.default?.open === 0 || undefined,
    );
    const next = await p.withConnection(tenant(db), pidOf);
    expect(next).not.toBe(killed);
    expect(logs.text()).toContain('tenant connection failed');
    expect((await backends(app)).map((r) => r.pid)).toEqual([next]);
  });

  test('a connection killed during work fails that work only; its slot is freed and the next request works', async () => {
    const { pools: p } = pools({ maxConnectionsPerServer: 1 });
    const db = TENANTS[0]!;
    const outcome = await settle(
      p.withConnection(tenant(db), async (client) => {
        await admin.raw('SELECT pg_terminate_backend(?)', [await pidOf(client)]);
        await client.query('SELECT 1');
      }),
    );
    expect('error' in outcome).toBe(true);
    await waitUntil('its slot freed', () => p.stats().servers.default?.open === 0 || undefined);
    expect(await p.withConnection(tenant(db), () => Promise.resolve('ok'))).toBe('ok');
  });

  test('a server that refuses connections gives DatabaseUnavailableError with the cause kept, and frees the slot', async () => {
    const { pools: p } = pools({ maxConnectionsPerServer: 1 });
    const down = `postgres://postgres:${PASSWORD}@127.0.0.1:${await freePort()}/postgres`;
    const away: TenantAddress = {
      dbName: TENANTS[0]!,
      server: 'down',
      url: urlWithPassword(TENANTS[0]!, down),
    };
    const outcome = await settle(p.withConnection(away, () => Promise.resolve('ran')));
    const error = (outcome as { error: DatabaseUnavailableError }).error;
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.cause).toBeDefined();
    expect(error.message).not.toContain(PASSWORD);
    expect(p.stats().servers.down).toMatchObject({ open: 0, busy: 0 });
    expect(p.stats().pools).toBe(0);
    // The default server is unaffected.
    expect(await p.withConnection(tenant(TENANTS[1]!), () => Promise.resolve('ok'))).toBe('ok');
  });

  test('a database that does not exist (deleted meanwhile) fails with its own error (3D000) and frees the slot', async () => {
    const { pools: p } = pools({ maxConnectionsPerServer: 1 });
    const outcome = await settle(
      p.withConnection(tenant(`${PREFIX}_missing`), () => Promise.resolve('ran')),
    );
    expect((outcome as { error: { code?: string } }).error.code).toBe('3D000');
    expect(p.stats().servers.default).toMatchObject({ open: 0 });
    expect(await p.withConnection(tenant(TENANTS[0]!), () => Promise.resolve('ok'))).toBe('ok');
  });
});
