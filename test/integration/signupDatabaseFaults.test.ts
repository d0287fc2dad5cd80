import request from 'supertest';
import { databaseNameOf, withDatabase } from '../../src/db/databaseUrl';
import { createKnex } from '../../src/db/knexFactory';
import { ownershipFor } from '../../src/tenants/ownership';
import { expectConsistent } from '../helpers/consistency';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { signupBody } from '../helpers/signupData';
import {
  databaseExists,
  startTestService,
  uniqueSuffix,
  type TestService,
} from '../helpers/testService';

/** PostgreSQL-side failures in the middle of a signup, and compensations that fail. */

jest.setTimeout(60_000);

let svc: TestService;
let broken: TestService;
/** Healthy migrations, but its own template database, which the test may squat on. */
let own: TestService;

beforeAll(async () => {
  svc = await startTestService();
  broken = await startTestService({
    emulatorInstance: svc.emulator,
    env: { TENANT_MIGRATIONS_DIR: await migrationsDirWith('SELECT 1/0') },
  });
  own = await startTestService({
    emulatorInstance: svc.emulator,
    env: { TENANT_MIGRATIONS_DIR: await migrationsDirWith('SELECT 1') },
  });
});
afterAll(async () => {
  await own.close();
  await broken.close();
  await svc.close();
});
afterEach(() => svc.emulator.faults.clear());

test('when a tenant migration throws, responds 500 provisioning_failed and leaves no user, row or database', async () => {
  const s = signupBody('Db Fault');
  const res = await request(broken.app).post('/users').send(s.request);

  expect(res.status).toBe(500);
  expect(res.body.error.code).toBe('provisioning_failed');
  expect(JSON.stringify(res.body)).not.toContain('division by zero'); // internals stay in the log
  expect(broken.logs.text()).toContain('division by zero');
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
  await expectConsistent({ ...broken, attempted: [s.dbName] });
  expect(await databaseExists(svc.admin, s.dbName)).toBe(false);
});

test('when CREATE DATABASE fails (template and template1 both in use), responds 500 and leaves nothing', async () => {
  const s = signupBody('Db Fault');
  // PostgreSQL refuses to clone a database anyone is connected to. Open the tenant template
  // and sit in it, and in template1 (the fallback's source), so both creation paths fail.
  const template = own.config.tenants.templateDb;
  await svc.admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS true', [template]);
  const squatters = [template, 'template1'].map((db) =>
    createKnex(withDatabase(svc.serverUrl, db), { pool: { min: 1, max: 1 } }),
  );
  try {
    for (const squatter of squatters) await squatter.raw('SELECT 1');
    const res = await request(own.app).post('/users').send(s.request);
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('provisioning_failed');
    expect(own.logs.text()).toContain('cloning the tenant template failed');
  } finally {
    for (const squatter of squatters) await squatter.destroy();
    await svc.admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS false', [template]);
  }
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
  await expectConsistent({
    ...own,
    attempted: [s.dbName],
    migrationsDir: own.config.tenants.migrationsDir,
  });
});

test('when the compensation itself fails (Auth0 down while undoing), the row is kept as failed and reconcile later removes everything', async () => {
  const s = signupBody('Db Fault');
  svc.emulator.faults.add({ method: 'DELETE', path: '/api/v2/users/*', status: 503, times: 1000 });

  const res = await request(broken.app).post('/users').send(s.request);
  expect(res.status).toBe(500);
  const row = await broken.catalogDb('catalog.schools').where({ db_name: s.dbName }).first();
  expect(row).toMatchObject({
    status: 'failed',
    last_error: expect.stringContaining('provisioning_failed'),
  });
  expect(svc.emulator.findUserByEmail(s.email)).toBeDefined();

  // While Auth0 is still down, reconcile keeps the row.
  const stillDown = await broken.reconcile();
  expect(stillDown.failed.map((f) => f.dbName)).toEqual([s.dbName]);

  svc.emulator.faults.clear();
  const summary = await broken.reconcile();
  expect(summary.rolledBack).toEqual([s.dbName]);
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
  await expectConsistent({ ...broken, attempted: [s.dbName] });
});

test('reconcile drops its own orphaned staging and marked databases, never another deployment’s or a stranger’s', async () => {
  const id = uniqueSuffix();
  const ours = ownershipFor(databaseNameOf(svc.catalogUrl));
  const theirs = ownershipFor(`another_deployment_${id}`);
  const orphanId = `${id}-0000-4000-8000-000000000001`;
  const orphanStaging = ours.stagingName(orphanId);
  const orphanTenant = `orphan_tenant_${id}`;
  const theirStaging = theirs.stagingName(orphanId);
  const theirTenant = `their_tenant_${id}`;
  const stranger = `stranger_${id}`;
  const lookalike = `signup_tmp_${ours.tag}_not_ours_${id}`;
  const all = [orphanStaging, orphanTenant, theirStaging, theirTenant, stranger, lookalike];
  for (const db of all) await svc.admin.raw('CREATE DATABASE ??', [db]);
  await svc.admin.raw(`COMMENT ON DATABASE ?? IS '${ours.marker(orphanId)}'`, [orphanTenant]);
  await svc.admin.raw(`COMMENT ON DATABASE ?? IS '${theirs.marker(orphanId)}'`, [theirTenant]);

  const summary = await svc.reconcile();

  expect(summary.orphanDatabasesDropped.sort()).toEqual([orphanStaging, orphanTenant].sort());
  const left = (await svc
    .admin('pg_database')
    .whereIn('datname', all)
    .pluck('datname')) as string[];
  expect(left.sort()).toEqual([theirStaging, theirTenant, stranger, lookalike].sort());
  for (const db of left) await svc.admin.raw('DROP DATABASE ??', [db]);
});
