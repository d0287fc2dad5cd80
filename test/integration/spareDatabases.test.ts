import request from 'supertest';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
} from '@tenant-signup/auth0-emulator';
import { createKnex } from '../../src/db/knexFactory';
import { withDatabase } from '../../src/db/databaseUrl';
import { ownershipFor } from '../../src/tenants/ownership';
import { cloneTemplate } from '../../src/tenants/provisioning/template';
import { expectConsistent } from '../helpers/consistency';
import { startServerProcess } from '../helpers/serverProcess';
import { signupBody } from '../helpers/signupData';
import { waitUntil } from '../helpers/waitUntil';
import {
  databaseExists,
  serverUrl,
  startTestService,
  uniqueSuffix,
  type TestService,
} from '../helpers/testService';

/**
 * Spare databases (src/tenants/provisioning/sparePool.ts): template clones a server keeps ready so a signup
 * renames one instead of waiting for CREATE DATABASE. They must never change what a signup
 * leaves behind, and they must never outlive their server.
 */

jest.setTimeout(120_000);

let svc: TestService;
const attempted: string[] = [];

beforeAll(async () => {
  svc = await startTestService({ env: { TENANT_SPARE_DATABASES: '2' } });
});
afterAll(async () => {
  await svc?.close();
});

/** A new school's signup, recorded among those `consistent()` checks. */
function signup() {
  const s = signupBody('Spare School');
  attempted.push(s.dbName);
  return s;
}

const sparesIdle = async (s: TestService = svc) => s.servers.default.provisioner.spares?.idle();
const spareStats = (s: TestService = svc) => s.servers.default.provisioner.spares?.stats();

const spareNames = async (s: TestService = svc) =>
  (await s.servers.default.databases.ownSpares()).map((spare) => spare.dbName);

const consistent = () =>
  expectConsistent({
    catalogDb: svc.catalogDb,
    admin: svc.admin,
    emulator: svc.emulator,
    serverUrl: svc.serverUrl,
    attempted,
  });

test('the server keeps two spares ready, named after its deployment and its owner lock', async () => {
  await sparesIdle();
  const spares = await svc.servers.default.databases.ownSpares();
  expect(spares).toHaveLength(2);
  for (const spare of spares) expect(spare.ownerKey).toBe(svc.ownerKey);
  expect(spareStats()).toMatchObject({ ready: 2, served: 0 });
});

test('a signup takes a spare: complete tenant, the spare is gone, another is made', async () => {
  await sparesIdle();
  const before = await spareNames();
  const { served, missed } = spareStats()!;
  const s = signup();

  const res = await request(svc.app).post('/users').send(s.request);

  expect(res.status).toBe(201);
  expect(spareStats()).toMatchObject({ served: served + 1, missed });
  const stillThere = await Promise.all(before.map((name) => databaseExists(svc.admin, name)));
  expect(stillThere.filter((exists) => !exists)).toHaveLength(1);
  expect(await databaseExists(svc.admin, s.dbName)).toBe(true);
  await consistent();

  await sparesIdle();
  expect(await spareNames()).toHaveLength(2);
});

test('a signup that fails after taking a spare leaves nothing: no user, row, staging or spare database', async () => {
  await sparesIdle();
  const before = await spareNames();
  const { served } = spareStats()!;
  const s = signup();
  svc.emulator.faults.add({ method: 'POST', path: '/api/v2/users', status: 400, times: 1 });

  const res = await request(svc.app).post('/users').send(s.request);
  svc.emulator.faults.clear();

  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(spareStats()?.served).toBe(served + 1);
  expect(
    await svc.catalogDb('catalog.schools').where({ db_name: s.dbName }).first(),
  ).toBeUndefined();
  expect(await databaseExists(svc.admin, s.dbName)).toBe(false);
  const stillThere = await Promise.all(before.map((name) => databaseExists(svc.admin, name)));
  expect(stillThere.filter((exists) => !exists)).toHaveLength(1);
  await consistent();
});

test('concurrent signups beyond the spares all complete: the others clone their own', async () => {
  await sparesIdle();
  const { served, missed } = spareStats()!;
  const batch = Array.from({ length: 5 }, signup);

  const results = await Promise.all(
    batch.map((s) => request(svc.app).post('/users').send(s.request)),
  );

  expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
  const after = spareStats()!;
  expect(after.served + after.missed - served - missed).toBe(5);
  expect(after.missed - missed).toBeGreaterThanOrEqual(1);
  await consistent();
});

test('the reconciler drops spares of servers that are gone, never those of a live one', async () => {
  await sparesIdle();
  const live = await spareNames();
  const catalogDb = new URL(svc.catalogUrl).pathname.slice(1);
  // A spare named after an owner key nobody holds: what a server killed with -9 leaves.
  const dead = ownershipFor(catalogDb).spareName(2_000_000_000);
  expect(
    await cloneTemplate(
      svc.catalogDb,
      svc.config.tenants.templateDb,
      dead,
      svc.servers.default.migrator.schema,
    ),
  ).toBe(true);

  const summary = await svc.reconcile();

  expect(summary.orphanDatabasesDropped).toEqual([dead]);
  expect(await databaseExists(svc.admin, dead)).toBe(false);
  for (const name of live) expect(await databaseExists(svc.admin, name)).toBe(true);
});

test('closing the server drops its spares', async () => {
  const other = await startTestService({ env: { TENANT_SPARE_DATABASES: '1' } });
  await sparesIdle(other);
  const names = await spareNames(other);
  expect(names).toHaveLength(1);

  await other.close();

  expect(await databaseExists(svc.admin, names[0]!)).toBe(false);
});

/** Waits until PostgreSQL has counted a session in the database (pg_stat_database, by OID: survives renames). */
async function sessionCounted(dbName: string): Promise<void> {
  await waitUntil(
    `a session counted in ${dbName}`,
    async () => {
      const { rows } = await svc.admin.raw<{ rows: { sessions: string }[] }>(
        'SELECT sessions FROM pg_stat_database WHERE datname = ?',
        [dbName],
      );
      return Number(rows[0]?.sessions ?? 0) >= 1;
    },
    { timeoutMs: 5000, intervalMs: 50 },
  );
}

test('a new tenant has had its first session before anyone needs it, from a spare or from its own clone', async () => {
  const fromSpare = signup();
  expect((await request(svc.app).post('/users').send(fromSpare.request)).status).toBe(201);
  await sessionCounted(fromSpare.dbName);

  const noSpares = await startTestService({ env: { TENANT_SPARE_DATABASES: '0' } });
  const ownClone = signup();
  try {
    expect((await request(noSpares.app).post('/users').send(ownClone.request)).status).toBe(201);
    await sessionCounted(ownClone.dbName);
  } finally {
    await noSpares.close();
  }
});

describe('a server killed with -9', () => {
  let emulator: Auth0Emulator;
  const catalogDb = `test_catalog_${uniqueSuffix()}`;
  const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 2 } });

  beforeAll(async () => {
    emulator = await startAuth0Emulator();
  });
  afterAll(async () => {
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [catalogDb]);
    await admin.destroy();
    await emulator.stop();
  });

  test('leaves its spares, and the next start drops them', async () => {
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: withDatabase(serverUrl(), catalogDb),
      AUTH0_DOMAIN: emulator.url,
      AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
      AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      RECONCILE_INTERVAL_SECONDS: '0',
      TENANT_SPARE_DATABASES: '2',
    };
    const { tag } = ownershipFor(catalogDb);
    const spares = async () =>
      (await admin('pg_database')
        .where('datname', 'like', `signup\\_tmp\\_${tag}\\_spare\\_%`)
        .pluck('datname')) as string[];
    const waitForSpares = (count: number) =>
      waitUntil(
        `${count} spares`,
        async () => {
          const names = await spares();
          return names.length === count ? names : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );

    const first = await startServerProcess(env);
    const leftBehind = await waitForSpares(2);
    await first.stop('SIGKILL');
    expect(await spares()).toEqual(leftBehind);

    const second = await startServerProcess(env);
    try {
      const now = await waitForSpares(2);
      expect(now.filter((name) => leftBehind.includes(name))).toEqual([]);
    } finally {
      await second.stop('SIGTERM');
    }
    // A clean stop takes its spares with it.
    expect(await spares()).toEqual([]);
  });
});
