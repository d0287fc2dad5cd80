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
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess';
import { signupBody, type SignupData } from '../helpers/signupData';
import {
  serverUrl,
  startTestService,
  uniqueSuffix,
  type TestService,
} from '../helpers/testService';
import { waitUntil } from '../helpers/waitUntil';

/**
 * A request already sent is not cancelled by the death of its sender. The server is killed
 * while Auth0 is still working on its create-user call (the emulator stores the user 6 s
 * after receiving it, answering nothing) and restarted at once: its start-up reconcile finds
 * no user yet and rolls the signup back. The user that lands afterwards must not stay.
 */

jest.setTimeout(180_000);

const LAND_AFTER_MS = 6000;
const catalogDb = `test_catalog_${uniqueSuffix()}`;
const templateDb = `test_template_${uniqueSuffix()}`;
const catalogUrl = withDatabase(serverUrl(), catalogDb);
const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 2 } });
let catalog: Knex;
let emulator: Auth0Emulator;
let server: ServerProcess;
const attempted: string[] = [];

const env = () => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'info',
  DATABASE_URL: catalogUrl,
  AUTH0_DOMAIN: emulator.url,
  AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
  AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
  TENANT_TEMPLATE_DB: templateDb,
  SIGNUP_RATE_LIMIT_MAX: '1000',
  // The default: the tombstone checks run on their own short tick, not at this interval.
  RECONCILE_INTERVAL_SECONDS: '60',
});

beforeAll(async () => {
  emulator = await startAuth0Emulator();
  server = await startServerProcess(env());
  catalog = createKnex(catalogUrl, { pool: { min: 0, max: 2 } });
});
afterAll(async () => {
  await server.stop('SIGKILL');
  await catalog.destroy();
  for (const db of [...attempted, catalogDb, templateDb])
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await admin.destroy();
  await emulator.stop();
});

const ourUsers = () => emulator.users().filter((u) => u.app_metadata?.signup_id !== undefined);
const createCalls = () =>
  emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/users').length;

/**
 * Sends a new school's signup, kills the server once its create-user call has reached Auth0
 * (which stores the user LAND_AFTER_MS later) and restarts the server at once.
 */
async function killWhileAuth0Stores(label: string): Promise<SignupData> {
  emulator.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: LAND_AFTER_MS });
  const s = signupBody(label);
  attempted.push(s.dbName);
  const callsBefore = createCalls();
  void fetch(`${server.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(s.request),
  }).catch(() => undefined); // never answered: the server dies
  await waitUntil('the create-user call at Auth0', () => createCalls() > callsBefore);

  await server.stop('SIGKILL');
  server = await startServerProcess(env());
  return s;
}

test('killed while Auth0 is still storing the user, restarted at once: the user that lands later is deleted', async () => {
  const s = await killWhileAuth0Stores('Late Landing');
  // The restart's reconcile found nothing in Auth0 yet and rolled the signup back.
  expect(await catalog('catalog.schools').where({ db_name: s.dbName }).first()).toBeUndefined();
  expect(emulator.findUserByEmail(s.email)).toBeUndefined();

  const landed = await waitUntil('the late user', () => emulator.findUserByEmail(s.email), {
    timeoutMs: LAND_AFTER_MS * 3,
  });
  expect(landed.app_metadata?.db_name).toBe(s.dbName);
  const landedAt = Date.now();

  await waitUntil('the late user deleted', () => ourUsers().length === 0, { timeoutMs: 60_000 });
  expect(Date.now() - landedAt).toBeLessThan(60_000);
  await expectConsistent({
    catalogDb: catalog,
    admin,
    emulator,
    serverUrl: serverUrl(),
    attempted,
  });
  expect(server.output()).toContain(
    'deleted an Auth0 user that landed after its signup was rolled back',
  );
});

test('a tombstone never blocks the same school and email signing up again, nor deletes the new user', async () => {
  // A signup rolled back as above, whose late user has landed and been deleted.
  const s = await killWhileAuth0Stores('Tombstoned School');
  await waitUntil('the late user', () => emulator.findUserByEmail(s.email), {
    timeoutMs: LAND_AFTER_MS * 3,
  });
  await waitUntil('the late user deleted', () => !emulator.findUserByEmail(s.email), {
    timeoutMs: 60_000,
  });
  const tombstone = () =>
    catalog('catalog.signup_tombstones').where({ email: s.email }).first() as Promise<
      { checks: number } | undefined
    >;
  const watched = await tombstone();
  expect(watched).toBeDefined();

  const res = await fetch(`${server.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(s.request),
  });
  expect(res.status).toBe(201);
  // Two more checks of the old signup's tombstone: the new user carries another signup id.
  await waitUntil(
    'two more tombstone checks',
    async () => (await tombstone())!.checks >= watched!.checks + 2,
    {
      timeoutMs: 60_000,
    },
  );
  expect(emulator.findUserByEmail(s.email)).toBeDefined();
  await expectConsistent({
    catalogDb: catalog,
    admin,
    emulator,
    serverUrl: serverUrl(),
    attempted,
  });
});

describe('a create that outlives its own signup (Auth0 slower than the retry budget)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      env: {
        AUTH0_TIMEOUT_MS: '400',
        AUTH0_RETRY_BUDGET_MS: '1200',
        RECONCILE_INTERVAL_SECONDS: '60',
      },
    });
  });
  afterAll(() => svc.close());

  test('answers 503, and the user Auth0 stores afterwards is deleted by the tombstone checks', async () => {
    const s = signupBody('Slow Auth0');
    // The first attempt lands after the signup gave up; every retry is refused.
    svc.emulator.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: 2500 });
    svc.emulator.faults.add({ method: 'POST', path: '/api/v2/users', status: 503, times: 100 });
    const res = await request(svc.app).post('/users').send(s.request);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('auth0_unavailable');
    expect(
      await svc.catalogDb('catalog.signup_tombstones').where({ email: s.email }).first(),
    ).toBeDefined();

    await waitUntil('the late user', () => svc.emulator.findUserByEmail(s.email), {
      timeoutMs: 10_000,
    });
    await waitUntil('the late user deleted', () => !svc.emulator.findUserByEmail(s.email), {
      timeoutMs: 60_000,
    });
    svc.emulator.faults.clear();
    await expectConsistent({ ...svc, attempted: [s.dbName] });
  });

  test('a definite refusal (a weak password) leaves no tombstone to check', async () => {
    const s = signupBody('Weak Password');
    const res = await request(svc.app)
      .post('/users')
      .send({ ...s.request, password: 'alllowercase' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.password[0]).toMatch(/PasswordStrengthError/);
    // It reached Auth0 (a reservation was made and released), and left nothing to watch.
    expect(
      svc.emulator.requests().some((r) => r.path === '/api/v2/users' && r.status === 400),
    ).toBe(true);
    expect(
      await svc.catalogDb('catalog.signup_tombstones').where({ email: s.email }).first(),
    ).toBeUndefined();
  });
});
