import request from 'supertest';
import { signupBody, TEST_PASSWORD, type SignupData } from '../helpers/signupData';
import { databaseExists, startTestService, type TestService } from '../helpers/testService';

/**
 * Auth0 misbehaving, reproduced over real HTTP by the emulator's fault rules. Each scenario
 * checks the end state in Auth0, catalog.schools and pg_database.
 */

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ env: { AUTH0_RETRY_BUDGET_MS: '1500', AUTH0_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await svc.close();
});
afterEach(() => svc.emulator.faults.clear());

async function expectNothingLeft(s: SignupData): Promise<void> {
  expect(
    await svc.catalogDb('catalog.schools').where({ db_name: s.dbName }).first(),
  ).toBeUndefined();
  expect(await databaseExists(svc.admin, s.dbName)).toBe(false);
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
}

async function expectCompleteTenant(s: SignupData, userId: string): Promise<void> {
  expect(await svc.catalogDb('catalog.schools').where({ db_name: s.dbName }).first()).toMatchObject(
    {
      status: 'ready',
      auth0_user_id: userId,
    },
  );
  expect(await databaseExists(svc.admin, s.dbName)).toBe(true);
  expect(svc.emulator.users().filter((u) => u.email === s.email)).toHaveLength(1);
}

const createUser = { method: 'POST', path: '/api/v2/users' };

test('when Auth0 keeps answering 500, responds 503 auth0_unavailable with Retry-After and leaves nothing', async () => {
  const s = signupBody('Fault School');
  svc.emulator.faults.add({ ...createUser, status: 500, times: 100 });

  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('auth0_unavailable');
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  await expectNothingLeft(s);
});

test('when Auth0 answers 429 once, waits as told and then completes the signup', async () => {
  const s = signupBody('Fault School');
  svc.emulator.faults.add({ ...createUser, status: 429, headers: { 'retry-after': '1' } });

  const started = Date.now();
  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(201);
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  await expectCompleteTenant(s, res.body.userId);
});

test('when Auth0 rate-limits for longer than the retry budget, responds 503 with its Retry-After, and the next signup gets it at once without asking Auth0', async () => {
  // A service of its own: Auth0's Retry-After holds every Management API call of the process
  // (auth0/managementBudget.ts), which would hold the scenarios after this one too.
  const own = await startTestService({
    emulatorInstance: svc.emulator,
    env: { AUTH0_RETRY_BUDGET_MS: '1500', AUTH0_TIMEOUT_MS: '300' },
  });
  try {
    const s = signupBody('Fault School');
    svc.emulator.faults.add({
      ...createUser,
      status: 429,
      headers: { 'retry-after': '30' },
      times: 5,
    });

    const res = await request(own.app).post('/users').send(s.request);

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    await expectNothingLeft(s);

    svc.emulator.resetRecords();
    const next = signupBody('Fault School');
    const again = await request(own.app).post('/users').send(next.request);
    expect(again.status).toBe(503);
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(25);
    expect(svc.emulator.requests().filter((r) => r.path.startsWith('/api/v2/'))).toEqual([]);
    expect(await own.catalogDb('catalog.schools').count({ n: '*' }).first()).toEqual({ n: '0' });
  } finally {
    await own.close();
  }
});

test('when Auth0 hangs past the timeout, responds 503 and leaves nothing', async () => {
  const s = signupBody('Fault School');
  svc.emulator.faults.add({ ...createUser, hang: true, times: 100 });

  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(503);
  await expectNothingLeft(s);
});

test('when the create-user response is lost after the user was stored, the retry recognises its own user (no false email_taken)', async () => {
  const s = signupBody('Fault School');
  svc.emulator.faults.add({ ...createUser, dropAfterHandling: true });

  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(201);
  await expectCompleteTenant(s, res.body.userId);
});

test('when the Management API rejects the cached token once (401), refreshes it and completes', async () => {
  // A token in the cache for Auth0 to reject: the signup before this one fetched it.
  const earlier = await request(svc.app).post('/users').send(signupBody('Fault School').request);
  expect(earlier.status).toBe(201);
  const s = signupBody('Fault School');
  svc.emulator.faults.add({ ...createUser, status: 401 });
  svc.emulator.resetRecords();

  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(201);
  expect(svc.emulator.tokenRequestCount()).toBe(1);
  await expectCompleteTenant(s, res.body.userId);
});

test('when Auth0 cannot be reached at all, responds 503 and leaves nothing', async () => {
  const s = signupBody('Fault School');
  // Point a second service at a closed port: connection refused on every call.
  const offline = await startTestService({
    emulatorInstance: svc.emulator,
    env: { AUTH0_DOMAIN: 'http://127.0.0.1:9', AUTH0_RETRY_BUDGET_MS: '800' },
  });
  try {
    const res = await request(offline.app).post('/users').send(s.request);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('auth0_unavailable');
    expect(await offline.catalogDb('catalog.schools').count({ n: '*' }).first()).toEqual({
      n: '0',
    });
    expect(await databaseExists(svc.admin, s.dbName)).toBe(false);
  } finally {
    await offline.close();
  }
});

test('when Auth0 fails, rate-limits, hangs, loses a response or rejects the token, no password, client secret or token reaches a log line', async () => {
  // The faults of the scenarios above, met again here so that this test has its own failures
  // to log (run after them, it also reads what they logged).
  const faults = [
    { fault: { ...createUser, status: 500, times: 100 }, status: 503 },
    { fault: { ...createUser, status: 429, headers: { 'retry-after': '1' } }, status: 201 },
    { fault: { ...createUser, hang: true, times: 100 }, status: 503 },
    { fault: { ...createUser, dropAfterHandling: true }, status: 201 },
    { fault: { ...createUser, status: 401 }, status: 201 },
    // Last: Auth0's Retry-After holds this service's Auth0 calls for 30 s.
    {
      fault: { ...createUser, status: 429, headers: { 'retry-after': '30' }, times: 5 },
      status: 503,
    },
  ];
  for (const { fault, status } of faults) {
    svc.emulator.faults.add(fault);
    const res = await request(svc.app).post('/users').send(signupBody('Fault School').request);
    svc.emulator.faults.clear();
    expect({ fault, status: res.status }).toEqual({ fault, status });
  }

  const logs = svc.logs.text();
  expect(logs).toContain('Auth0 call will be retried');
  expect(logs).not.toContain(TEST_PASSWORD);
  expect(logs).not.toContain(svc.auth0Settings.clientSecret);
  expect(logs).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
  expect(logs).not.toMatch(/authorization/i);
});
