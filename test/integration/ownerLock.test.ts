import { Client } from 'pg';
import { migrateCatalog } from '../../src/catalog/migrateCatalog';
import { acquireOwnerLock, liveOwnerKeys, OWNER_LOCK_NAMESPACE } from '../../src/catalog/ownerLock';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { captureLogs } from '../helpers/logCapture';
import { serverUrl, uniqueSuffix } from '../helpers/testService';
import { waitUntil } from '../helpers/waitUntil';

/**
 * The owner lock is how the reconciler tells a live process's in-flight signups and spare
 * databases from a dead one's. A process whose lock session is cut (the database restarted,
 * an operator terminated it) is still alive, so it must hold its key's lock again.
 */

const catalogDb = `test_catalog_${uniqueSuffix()}`;
const catalogUrl = withDatabase(serverUrl(), catalogDb);
const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 1 } });
let catalog: Knex;

beforeAll(async () => {
  await admin.raw('CREATE DATABASE ??', [catalogDb]);
  catalog = createKnex(catalogUrl, { pool: { min: 0, max: 2 } });
  await migrateCatalog(catalog);
});
afterAll(async () => {
  await catalog.destroy();
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [catalogDb]);
  await admin.destroy();
});

/** The sessions holding (or, `granted` false, waiting for) this catalog's owner lock `key`. */
async function sessions(key: number, granted: boolean): Promise<number[]> {
  const { rows } = await catalog.raw<{ rows: { pid: number }[] }>(
    `SELECT l.pid FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted = ? AND l.classid = ? AND l.objid = ?
        AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [granted, OWNER_LOCK_NAMESPACE, key],
  );
  return rows.map((r) => r.pid);
}
const holders = (key: number) => sessions(key, true);
const waiters = (key: number) => sessions(key, false);

test('a process holds its owner lock until release', async () => {
  const lock = await acquireOwnerLock(catalogUrl, captureLogs().logger);
  expect(await liveOwnerKeys(catalog)).toContain(lock.key);
  await lock.release();
  expect(await liveOwnerKeys(catalog)).not.toContain(lock.key);
});

test('a terminated lock session is replaced by one holding the same key', async () => {
  const logs = captureLogs();
  const lock = await acquireOwnerLock(catalogUrl, logs.logger);
  try {
    const [before] = await holders(lock.key);
    if (before === undefined) throw new Error('the owner lock is not held');
    await catalog.raw('SELECT pg_terminate_backend(?)', [before]);

    await waitUntil('a new session holding the key', async () =>
      (await holders(lock.key)).some((p) => p !== before),
    );
    expect(await liveOwnerKeys(catalog)).toContain(lock.key);
    expect(logs.text()).toContain('owner lock held again');
  } finally {
    await lock.release();
  }
  expect(await holders(lock.key)).toEqual([]);
});

/**
 * A session of another client that takes `key` as soon as the owner's session is terminated:
 * the stand-in for an old session of ours that the server has not noticed is gone yet.
 */
async function lingering(key: number): Promise<{ client: Client; pid: number }> {
  const client = new Client({ connectionString: catalogUrl });
  client.on('error', () => undefined);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  const [owner] = await holders(key);
  if (owner === undefined) throw new Error(`nobody holds owner lock ${key}`);
  const taken = client.query('SELECT pg_advisory_lock($1, $2)', [OWNER_LOCK_NAMESPACE, key]);
  await waitUntil('the other session to queue for the key', async () =>
    (await waiters(key)).includes(pid),
  );
  await catalog.raw('SELECT pg_terminate_backend(?)', [owner]);
  await taken;
  return { client, pid };
}

/** This catalog's owner-lock sessions (holding the lock or trying to take it again). */
async function lockSessions(): Promise<number> {
  const { rows } = await catalog.raw<{ rows: { n: number }[] }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'tenant-signup owner lock'`,
  );
  return rows[0]!.n;
}

test('a retake keeps trying while an old session holds the key, then takes it', async () => {
  const logs = captureLogs();
  const lock = await acquireOwnerLock(catalogUrl, logs.logger);
  try {
    const other = await lingering(lock.key);
    await waitUntil('a failed retake', () => logs.text().includes('still held by an old session'));
    expect(await holders(lock.key)).toEqual([other.pid]);
    await other.client.end();
    await waitUntil(
      'our new session to hold the key',
      async () => (await holders(lock.key)).length === 1,
    );
    expect(await holders(lock.key)).not.toContain(other.pid);
    expect(await liveOwnerKeys(catalog)).toContain(lock.key);
  } finally {
    await lock.release();
  }
  expect(await holders(lock.key)).toEqual([]);
});

test('release stops a retake that is still trying', async () => {
  const logs = captureLogs();
  const lock = await acquireOwnerLock(catalogUrl, logs.logger);
  const other = await lingering(lock.key);
  try {
    await waitUntil('a failed retake', () => logs.text().includes('still held by an old session'));
    await lock.release();
    await waitUntil('every owner-lock session to end', async () => (await lockSessions()) === 0);
    // Nothing tries again later: the key stays with the other session once it is free.
    await other.client.query('SELECT pg_advisory_unlock($1, $2)', [OWNER_LOCK_NAMESPACE, lock.key]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await holders(lock.key)).toEqual([]);
    expect(await lockSessions()).toBe(0);
  } finally {
    await other.client.end();
  }
});
