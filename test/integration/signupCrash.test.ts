import request from 'supertest';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
} from '@tenant-signup/auth0-emulator';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { expectConsistent } from '../helpers/consistency';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess';
import { signupBody, TEST_PASSWORD } from '../helpers/signupData';
import { serverUrl, uniqueSuffix } from '../helpers/testService';
import { waitUntil } from '../helpers/waitUntil';

/**
 * kill -9 at each step of a signup, then a restart: the start-up reconciler must leave
 * Auth0, the catalog and pg_database in agreement. The real server runs as a child process;
 * Auth0 is an emulator in this process. A slow extra tenant migration (1 s) and row locks
 * held by the test pin the signup at the step to kill it in.
 */

jest.setTimeout(180_000);

const catalogDb = `test_catalog_${uniqueSuffix()}`;
const templateDb = `test_template_${uniqueSuffix()}`;
const catalogUrl = withDatabase(serverUrl(), catalogDb);
const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 2 } });
let catalog: Knex;
let emulator: Auth0Emulator;
let migrationsDir: string;
let server: ServerProcess;
const attempted: string[] = [];
/** Tenants a crash could not stop (their last statement still committed). */
const completed: string[] = [];

const env = () => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  DATABASE_URL: catalogUrl,
  AUTH0_DOMAIN: emulator.url,
  AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
  AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
  AUTH0_RETRY_BUDGET_MS: '60000',
  TENANT_MIGRATIONS_DIR: migrationsDir,
  TENANT_TEMPLATE_DB: templateDb,
  RECONCILE_INTERVAL_SECONDS: '0',
  SIGNUP_RATE_LIMIT_MAX: '1000',
  // The crash windows are in the clone and migrate steps, which a spare would skip.
  TENANT_SPARE_DATABASES: '0',
});

beforeAll(async () => {
  emulator = await startAuth0Emulator();
  migrationsDir = await migrationsDirWith('SELECT pg_sleep(1)');
  server = await startServerProcess(env());
  catalog = createKnex(catalogUrl, { pool: { min: 0, max: 4 }, applicationName: 'crash-test' });
});
afterAll(async () => {
  await server.stop('SIGKILL');
  await catalog.destroy();
  const dbs = (await admin('pg_database')
    .whereIn('datname', attempted)
    .orWhere('datname', 'like', 'signup\\_tmp\\_%')
    .pluck('datname')) as string[];
  for (const db of [...dbs, catalogDb, templateDb])
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await admin.destroy();
  await emulator.stop();
});

function startSignup() {
  const { request: body, dbName, email } = signupBody('Crash School');
  attempted.push(dbName);
  // Never answered: the server is killed mid-request.
  const pending = request(server.url)
    .post('/users')
    .send(body)
    .then(
      () => undefined,
      () => undefined,
    );
  return { dbName, email, pending };
}

/** Every 5 ms: these waits stand between a signup reaching the step it is pinned in and the kill. */
const waitFor = (what: string, probe: () => unknown) => waitUntil(what, probe, { intervalMs: 5 });

const row = (dbName: string) =>
  catalog('catalog.schools').where({ db_name: dbName }).first() as Promise<
    Record<string, unknown> | undefined
  >;

const dbExists = async (name: string) =>
  (await admin('pg_database').where({ datname: name }).first()) ? true : undefined;

const stagingExists = async () =>
  (await admin('pg_database')
    .where('datname', 'like', 'signup\\_tmp\\_%')
    .whereNot('datname', 'like', 'signup\\_tmp\\_%\\_spare\\_%')
    .first())
    ? true
    : undefined;

/**
 * Without a template, signups create and migrate, and the extra 1 s migration gives the test
 * a wide window to kill in. (Each restart re-creates the template.)
 */
async function withoutTemplate(): Promise<void> {
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [templateDb]);
}

/** Holds the catalog row's lock so the signup's next write to it blocks. */
async function lockRow(dbName: string): Promise<Knex.Transaction> {
  const trx = await catalog.transaction();
  await trx('catalog.schools').where({ db_name: dbName }).forUpdate().first();
  return trx;
}

/**
 * SIGKILL the server, then let go of the test's row locks. With `sessionsDie`, the dead
 * process's database sessions are ended first (as when its host or network goes), so a
 * statement it left waiting on a lock never runs; otherwise PostgreSQL still completes it.
 */
async function killAndRestart(locks: Knex.Transaction[] = [], sessionsDie = false): Promise<void> {
  await server.stop('SIGKILL');
  if (sessionsDie) {
    await admin.raw(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = ? AND pid <> pg_backend_pid() AND application_name LIKE 'tenant-signup%'`,
      [catalogDb],
    );
  }
  for (const lock of locks) await lock.rollback();
  server = await startServerProcess(env());
  await expectConsistent({
    catalogDb: catalog,
    admin,
    emulator,
    serverUrl: serverUrl(),
    attempted,
    migrationsDir,
  });
}

test('killed while Auth0 has not answered the create-user call: restart leaves nothing', async () => {
  emulator.faults.add({ method: 'POST', path: '/api/v2/users', hang: true });
  const s = startSignup();
  await waitFor('the hung Auth0 call', () =>
    emulator.requests().some((r) => r.path === '/api/v2/users' && r.status === 0)
      ? true
      : undefined,
  );
  await killAndRestart();
  emulator.faults.clear();
  expect(await row(s.dbName)).toBeUndefined();
});

test('killed after Auth0 stored the user but its answer was lost: restart finds the user by signup id and deletes it', async () => {
  emulator.faults.add({ method: 'POST', path: '/api/v2/users', dropAfterHandling: true });
  emulator.faults.add({ method: 'POST', path: '/api/v2/users', hang: true });
  const s = startSignup();
  await waitFor('the stored user', () => emulator.findUserByEmail(s.email));
  await waitFor('the hung retry', () => (emulator.faults.pending() === 0 ? true : undefined));
  await killAndRestart();
  emulator.faults.clear();
  expect(emulator.findUserByEmail(s.email)).toBeUndefined();
});

test('killed while the staging database is being migrated: restart drops it and deletes the user', async () => {
  await withoutTemplate();
  const s = startSignup();
  await waitFor('the staging database', stagingExists);
  await killAndRestart();
  expect(await stagingExists()).toBeUndefined();
  expect(emulator.findUserByEmail(s.email)).toBeUndefined();
});

/**
 * Pins a signup in its final statement (catalog.complete_signup): the Auth0 user created,
 * the staging database ready, the statement's "ready" UPDATE waiting for the row lock the
 * test holds.
 */
async function pinInFinalStatement() {
  emulator.faults.add({ method: 'POST', path: '/api/v2/users', delayMs: 500 });
  const s = startSignup();
  await waitFor('the reservation', () => row(s.dbName));
  const lock = await lockRow(s.dbName);
  await waitFor('the Auth0 user', () => emulator.findUserByEmail(s.email));
  await waitFor('the ready transaction waiting for the row lock', async () => {
    const { rows } = await admin.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = ? AND wait_event_type = 'Lock' AND query LIKE '%complete_signup%'`,
      [catalogDb],
    );
    return rows.length > 0 ? true : undefined;
  });
  // Nothing of the final statement is visible yet.
  expect(await dbExists(s.dbName)).toBeUndefined();
  expect((await row(s.dbName))?.status).toBe('provisioning');
  return { s, lock };
}

test('killed in its final statement, its database sessions gone too: restart rolls everything back', async () => {
  const { s, lock } = await pinInFinalStatement();
  await killAndRestart([lock], true);
  expect(await dbExists(s.dbName)).toBeUndefined();
  expect(await stagingExists()).toBeUndefined();
  expect(emulator.findUserByEmail(s.email)).toBeUndefined();
  expect(await row(s.dbName)).toBeUndefined();
});

test('killed in its final statement, its session outliving it: PostgreSQL completes the statement and the tenant is whole', async () => {
  const { s, lock } = await pinInFinalStatement();
  await killAndRestart([lock], false);
  expect(await row(s.dbName)).toMatchObject({ status: 'ready' });
  expect(await dbExists(s.dbName)).toBe(true);
  expect(await stagingExists()).toBeUndefined();
  expect(emulator.findUserByEmail(s.email)).toBeDefined();
  completed.push(s.dbName);
});

test('after all those crashes, the restarted server signs a school up completely', async () => {
  const s = signupBody('After Crash');
  attempted.push(s.dbName);
  const res = await request(server.url).post('/users').send(s.request);
  expect(res.status).toBe(201);
  const ready = await expectConsistent({
    catalogDb: catalog,
    admin,
    emulator,
    serverUrl: serverUrl(),
    attempted,
    migrationsDir,
  });
  expect(ready.sort()).toEqual([...completed, s.dbName].sort());
  expect(server.output()).not.toContain(TEST_PASSWORD);
});
