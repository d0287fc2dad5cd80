import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { reconcileSignups } from '../../src/schools/reconcile';
import { signupBody, TEST_PASSWORD } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

/**
 * The Auth0 sweep: users this deployment created recently whose signup has no catalog row
 * are deleted; ready schools' users, other deployments' users and users it cannot identify
 * are left alone. Auth0's search lags behind creates (the emulator lags by 1.5 s here), so a
 * sweep right after a create does not see it yet.
 */

jest.setTimeout(60_000);

const SEARCH_LAG_MS = 1500;
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    emulator: { searchIndexDelayMs: SEARCH_LAG_MS },
    env: { RECONCILE_AUTH0_SWEEP_MINUTES: '60' },
  });
});
afterAll(() => svc.close());

const strayUser = (label: string, appMetadata: { deployment: string; signupId?: string }) => {
  const s = signupBody(label);
  return svc.auth0.createUser({
    email: s.email,
    password: TEST_PASSWORD,
    dbName: s.dbName,
    signupId: appMetadata.signupId ?? randomUUID(),
    deployment: appMetadata.deployment,
  });
};

const sweepNow = () =>
  reconcileSignups({
    catalog: svc.catalog,
    auth0: svc.auth0,
    servers: svc.servers,
    logger: svc.logger,
    horizonSeconds: svc.config.reconcile.horizonSeconds,
    auth0Sweep: { deployment: svc.deployment, everySeconds: 0, now: true },
  });

const exists = (userId: string) => svc.emulator.users().some((u) => u.user_id === userId);

test('deletes only this deployment’s users without a catalog row, once the search index shows them', async () => {
  const school = signupBody('Swept Ready');
  expect((await request(svc.app).post('/users').send(school.request)).status).toBe(201);
  const ready = svc.emulator.findUserByEmail(school.email)!;
  const orphan = await strayUser('Swept Orphan', { deployment: svc.deployment });
  const theirs = await strayUser('Other Deployment', { deployment: 'ffffffff' });
  const unidentifiable = await strayUser('No Signup Id', {
    deployment: svc.deployment,
    signupId: 'not-a-uuid',
  });

  // Too soon: Auth0's search does not show the orphan yet, so it stays for a later sweep.
  const early = await sweepNow();
  expect(early.auth0Sweep?.deleted).toEqual([]);
  expect(exists(orphan.user_id)).toBe(true);

  await new Promise((resolve) => setTimeout(resolve, SEARCH_LAG_MS + 200));
  const summary = await sweepNow();
  expect(summary.auth0Sweep?.deleted).toEqual([orphan.app_metadata?.db_name]);
  expect(exists(orphan.user_id)).toBe(false);
  for (const kept of [ready, theirs, unidentifiable]) expect(exists(kept.user_id)).toBe(true);
  expect(svc.logs.text()).toContain('Auth0 sweep deleted a user whose signup has no catalog row');
});

test('a reconcile sweeps at most once per RECONCILE_AUTH0_SWEEP_MINUTES (the claim lives in the catalog, shared by every server)', async () => {
  // sweepNow() above claimed the job just now: a periodic reconcile finds it not yet due.
  const first = await svc.reconcile();
  expect(first.ran).toBe(true);
  expect(first.auth0Sweep).toBeUndefined();
  const searches = () =>
    svc.emulator.requests().filter((r) => r.method === 'GET' && r.path === '/api/v2/users').length;
  const before = searches();
  await svc.reconcile();
  expect(searches()).toBe(before);
});
