import request from 'supertest';
import { expectConsistent } from '../helpers/consistency';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { signupBody, type SignupData } from '../helpers/signupData';
import { databaseExists, startTestService, type TestService } from '../helpers/testService';

/**
 * One Auth0 budget per process (auth0/managementBudget.ts), against an emulator that, like
 * Auth0, limits the tenant's Management API to 2 calls a second: a burst of signups waits
 * its turn or is told 503 at once, compensations go before new creates, nothing is left.
 */

jest.setTimeout(120_000);

const BUDGET_MS = 4000;
let svc: TestService;
/** Tenant migrations that throw: every signup fails after its Auth0 user was created. */
let broken: TestService;

beforeAll(async () => {
  svc = await startTestService({
    emulator: { rateLimit: { limit: 2, windowSeconds: 1 } },
    env: { AUTH0_RETRY_BUDGET_MS: String(BUDGET_MS) },
  });
  broken = await startTestService({
    emulatorInstance: svc.emulator,
    env: {
      AUTH0_RETRY_BUDGET_MS: String(BUDGET_MS),
      TENANT_MIGRATIONS_DIR: await migrationsDirWith('SELECT 1/0'),
    },
  });
});
afterAll(async () => {
  await broken.close();
  await svc.close();
});

const creates = () =>
  svc.emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/users');

async function expectNothingOf(s: SignupData, from: TestService): Promise<void> {
  expect(
    await from.catalogDb('catalog.schools').where({ db_name: s.dbName }).first(),
  ).toBeUndefined();
  expect(await databaseExists(from.admin, s.dbName)).toBe(false);
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
}

test('30 signups at once against 2 calls/s: each 201 or 503 with Retry-After, at most 1.5 create attempts per signup, the 503s early, nothing left behind', async () => {
  // One signup first: the budget has heard from Auth0 how its bucket stands.
  const first = signupBody('Budget School');
  expect((await request(svc.app).post('/users').send(first.request)).status).toBe(201);
  svc.emulator.resetRecords();

  const signups = Array.from({ length: 30 }, () => signupBody('Budget School'));
  const started = Date.now();
  const answers = await Promise.all(
    signups.map(async (s) => {
      const res = await request(svc.app).post('/users').send(s.request);
      return { s, res, ms: Date.now() - started };
    }),
  );

  const created = answers.filter((a) => a.res.status === 201);
  const refused = answers.filter((a) => a.res.status === 503);
  expect(created.length + refused.length).toBe(30);
  // About the limit × the budget (2/s × 4 s, plus the bucket's burst of 2): the queue was
  // used, not refused wholesale, and no more got through than Auth0 allows.
  expect(created.length).toBeGreaterThanOrEqual(4);
  expect(created.length).toBeLessThanOrEqual((2 * BUDGET_MS) / 1000 + 2 + 1);
  for (const { res } of refused) {
    expect(res.body.error.code).toBe('auth0_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  expect(refused.length).toBeGreaterThan(0);
  // Refused for the line ahead of them, at once rather than at the end of the budget.
  expect(Math.min(...refused.map((a) => a.ms))).toBeLessThan(BUDGET_MS / 2);
  expect(creates().length).toBeLessThanOrEqual(1.5 * signups.length);

  for (const { s } of refused) await expectNothingOf(s, svc);
  const ready = await expectConsistent({ ...svc, attempted: signups.map((s) => s.dbName) });
  expect(ready).toEqual(expect.arrayContaining(created.map((a) => a.s.dbName)));
});

test('a failed signup’s compensation (deleting its Auth0 user) goes before the creates queued behind it', async () => {
  svc.emulator.resetRecords();
  const signups = Array.from({ length: 10 }, () => signupBody('Undo School'));

  const answers = await Promise.all(
    signups.map((s) => request(broken.app).post('/users').send(s.request)),
  );

  // Every signup fails: after its create (500, provisioning) or in line (503).
  for (const res of answers) expect([500, 503]).toContain(res.status);
  expect(answers.some((r) => r.status === 500)).toBe(true);
  const calls = svc.emulator.requests().filter((r) => r.path.startsWith('/api/v2/users'));
  const firstDelete = calls.findIndex((r) => r.method === 'DELETE');
  const lastCreate = calls.map((r) => r.method).lastIndexOf('POST');
  expect(firstDelete).toBeGreaterThanOrEqual(0);
  expect(firstDelete).toBeLessThan(lastCreate);
  for (const s of signups) await expectNothingOf(s, broken);
});
