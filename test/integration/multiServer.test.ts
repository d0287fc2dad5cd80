import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, withKnex, type Knex } from '../../src/db/knexFactory';
import { ROOT_DIR } from '../../src/db/migrationSettings';
import { startService } from '../../src/service';
import { copyTenantData } from '../../src/tenants/moving/copyTenantData';
import { signupOfMarker } from '../../src/tenants/ownership';
import { runTenantsCli } from '../helpers/cliProcess';
import { captureLogs } from '../helpers/logCapture';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { startPgCluster, type PgCluster } from '../helpers/pgCluster';
import { freePort } from '../helpers/serverProcess';
import { SCHOOL_API, TENANT_CLAIM, userToken } from '../helpers/schoolLogin';
import { signupBody } from '../helpers/signupData';
import { fingerprint, seedTenant } from '../helpers/tenantData';
import { databaseExists, startTestService, type TestService } from '../helpers/testService';
import { waitUntil } from '../helpers/waitUntil';

/**
 * Tenants on two real PostgreSQL servers: the shared test server (`default`, the catalog's)
 * and a cluster of this file's own (`second`), which it stops and starts again. Signups,
 * placement, draining, the fleet with a server down, and moves (also killed with -9).
 */

jest.setTimeout(240_000);

/** Trust auth ignores it; it is here to prove that no output ever shows it. */
const PASSWORD = 'sEcond-server-pw';

let clusterDir: string;
let clusterPort: number;
let cluster: PgCluster;
let secondUrl: string;
let second: Knex;
let svc: TestService;
let migrationsDir: string;
let cliEnv: Record<string, string>;
const attempted: string[] = [];

beforeAll(async () => {
  clusterDir = await mkdtemp(path.join(tmpdir(), 'second-server-'));
  await chmod(clusterDir, 0o755); // the postgres user must reach it when we are root
  clusterPort = await freePort();
  cluster = await startPgCluster(path.join(clusterDir, 'data'), clusterPort);
  const url = new URL(cluster.url);
  url.password = PASSWORD;
  secondUrl = url.toString();
  second = createKnex(cluster.url, { pool: { min: 0, max: 2 } });
  migrationsDir = await migrationsDirWith('SELECT 1');
  const env = {
    DATABASE_SERVERS: JSON.stringify({ second: secondUrl }),
    TENANT_MIGRATIONS_DIR: migrationsDir,
  };
  svc = await startTestService({
    env,
    // Schools' users log in for the school's API as they would with the post-login Action.
    emulator: {
      apis: [{ audience: SCHOOL_API, scopes: [] }],
      userClaims: { [TENANT_CLAIM]: 'db_name' },
    },
  });
  cliEnv = svc.cliEnv(env);
});

afterAll(async () => {
  await svc?.close();
  await second?.destroy();
  await cluster?.stop();
  await rm(clusterDir, { recursive: true, force: true });
});

const serverOf = async (dbName: string) =>
  (
    (await svc.catalogDb('catalog.schools').where({ db_name: dbName }).first()) as
      { server: string; id: string } | undefined
  )?.server;

const adminOf = (server: string) => (server === 'default' ? svc.admin : second);

async function signUp(count: number, label: string, parallel = 5): Promise<string[]> {
  const made: string[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, () => signupBody(label));
    attempted.push(...batch.map((s) => s.dbName));
    const answers = await Promise.all(
      batch.map((s) => request(svc.app).post('/users').send(s.request)),
    );
    for (const [j, res] of answers.entries()) {
      expect({ db: batch[j]!.dbName, status: res.status }).toEqual({
        db: batch[j]!.dbName,
        status: 201,
      });
      made.push(batch[j]!.dbName);
    }
  }
  return made;
}

/** Every catalogued school's database is on its server, and only there. */
async function expectEachOnItsServer(): Promise<void> {
  const rows: { db_name: string; server: string }[] = await svc
    .catalogDb('catalog.schools')
    .select('db_name', 'server');
  for (const row of rows) {
    const other = row.server === 'default' ? 'second' : 'default';
    expect({
      db: row.db_name,
      onItsServer: await databaseExists(adminOf(row.server), row.db_name),
      onTheOther: await databaseExists(adminOf(other), row.db_name),
    }).toEqual({ db: row.db_name, onItsServer: true, onTheOther: false });
  }
}

/** Nothing of ours besides the catalogued tenants (and spares) on the second server. */
async function expectNoDebrisOnSecond(): Promise<void> {
  const names = (await second('pg_database').pluck('datname')) as string[];
  const catalogued = new Set((await svc.catalogDb('catalog.schools').pluck('db_name')) as string[]);
  const debris = names.filter(
    (n) =>
      (attempted.includes(n) && !catalogued.has(n)) ||
      (n.startsWith('signup_tmp_') && !n.includes('_spare_')),
  );
  expect(debris).toEqual([]);
}

test('signups spread over both servers, each database on the server its row names and nowhere else', async () => {
  const made = await signUp(30, 'Spread School');

  const servers = await Promise.all(made.map(serverOf));
  const onSecond = servers.filter((s) => s === 'second').length;
  expect(onSecond).toBeGreaterThanOrEqual(12);
  expect(onSecond).toBeLessThanOrEqual(18);
  await expectEachOnItsServer();
  await expectNoDebrisOnSecond();
});

test('servers lists both with address, tenants, accepting and reachable, and never a password', async () => {
  const res = await runTenantsCli(['servers'], cliEnv);

  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/^SERVER\s+ADDRESS\s+TENANTS\s+ACCEPTS NEW\s+REACHABLE/);
  expect(res.stdout).toMatch(
    new RegExp(`second\\s+127\\.0\\.0\\.1:${clusterPort}\\s+\\d+\\s+yes\\s+yes`),
  );
  expect(res.stdout).toMatch(/default\s+\S+:\d+\s+\d+\s+yes\s+yes/);
  expect(res.stdout + res.stderr).not.toContain(PASSWORD);
});

test('a drained server gets no new signup; undrained, it gets them again', async () => {
  expect((await runTenantsCli(['servers', 'drain', 'second'], cliEnv)).code).toBe(0);
  const whileDrained = await signUp(6, 'Drained School');
  expect(await Promise.all(whileDrained.map(serverOf))).toEqual(Array(6).fill('default'));

  expect((await runTenantsCli(['servers', 'undrain', 'second'], cliEnv)).code).toBe(0);
  const after = await signUp(6, 'Undrained School', 1);
  // It has fewer tenants now, so it is the first choice.
  expect(await Promise.all(after.map(serverOf))).toContain('second');
});

test('servers drain of a server that is not configured is a usage error that changes nothing', async () => {
  const res = await runTenantsCli(['servers', 'drain', 'nowhere'], cliEnv);
  expect(res.code).toBe(2);
  expect(res.stderr.split('\n')[0]).toBe('servers: no database server named nowhere is configured');
});

async function tenantOn(server: string, students: number): Promise<{ dbName: string; id: string }> {
  for (;;) {
    const [dbName] = await signUp(1, 'Move School');
    if ((await serverOf(dbName!)) !== server) continue;
    const url = withDatabase(server === 'default' ? svc.serverUrl : cluster.url, dbName!);
    await seedTenant(url, students);
    const row = (await svc.catalogDb('catalog.schools').where({ db_name: dbName }).first()) as {
      id: string;
    };
    return { dbName: dbName!, id: row.id };
  }
}

const urlOn = (server: string, dbName: string) =>
  withDatabase(server === 'default' ? svc.serverUrl : cluster.url, dbName);

test('move copies every row to the other server, drops the source, keeps the name, the row and the Auth0 user', async () => {
  const { dbName, id } = await tenantOn('default', 10_000);
  const before = await fingerprint(urlOn('default', dbName));
  const userBefore = svc.emulator.users().find((u) => u.app_metadata?.db_name === dbName);

  const res = await runTenantsCli(['move', dbName, '--to', 'second'], cliEnv);

  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(
    new RegExp(
      `moved ${dbName} from default to second: 20\\d{3} rows in 5 tables, read-only for \\d+ ms`,
    ),
  );
  expect(await fingerprint(urlOn('second', dbName))).toEqual(before);
  expect(await databaseExists(svc.admin, dbName)).toBe(false);
  expect(await serverOf(dbName)).toBe('second');
  const row = (await svc.catalogDb('catalog.schools').where({ db_name: dbName }).first()) as {
    id: string;
    status: string;
  };
  expect(row).toMatchObject({ id, status: 'ready' });
  const userAfter = svc.emulator.users().find((u) => u.app_metadata?.db_name === dbName);
  expect(userAfter?.user_id).toBe(userBefore?.user_id);
  expect(
    await svc.catalogDb('catalog.tenant_moves').where({ school_id: id }).first(),
  ).toBeUndefined();
  // The moved tenant is writable on its new server, and its next id is a new one.
  await withKnex(urlOn('second', dbName), {}, (db) =>
    db('students').insert({ first_name: 'New', last_name: 'Student' }),
  );
});

test("the school's API follows a move: read-only during the switch, then served from the new server", async () => {
  const s = signupBody('Api Move School');
  attempted.push(s.dbName);
  await request(svc.app).post('/users').send(s.request).expect(201);
  const from = (await serverOf(s.dbName))!;
  const to = from === 'default' ? 'second' : 'default';
  const auth = { authorization: `Bearer ${await userToken(svc.emulator.url, s.email)}` };
  const students = () => request(svc.app).get('/api/students').set(auth);
  const add = (firstName: string) =>
    request(svc.app).post('/api/students').set(auth).send({ firstName, lastName: 'Mover' });
  await add('Before').expect(201);

  // The switch makes the source read-only: reads go on, changes are told to retry.
  await svc.servers.get(from).databases.setReadOnly(s.dbName, true);
  const refused = await add('During').expect(503);
  expect(refused.body.error.code).toBe('tenant_read_only');
  expect(refused.headers['retry-after']).toBeDefined();
  expect((await students().expect(200)).body.items).toHaveLength(1);
  await svc.servers.get(from).databases.setReadOnly(s.dbName, false);

  expect((await runTenantsCli(['move', s.dbName, '--to', to], cliEnv)).code).toBe(0);
  // Another process moved it: the next requests run on the new server, with the data.
  await add('After').expect(201);
  const page = (await students().expect(200)).body as { items: { firstName: string }[] };
  const names = page.items.map((i) => i.firstName);
  expect(names).toEqual(['Before', 'After']);
  const onTarget = await withKnex(urlOn(to, s.dbName), {}, (db) =>
    db('students').orderBy('id').pluck('first_name'),
  );
  expect(onTarget).toEqual(['Before', 'After']);
  expect(await databaseExists(adminOf(from), s.dbName)).toBe(false);
});

test('move refuses a server that is not configured, and one the tenant is already on', async () => {
  const [dbName] = await signUp(1, 'Refused Move');
  const server = (await serverOf(dbName!))!;
  for (const [to, message] of [
    ['nowhere', 'no database server named nowhere is configured'],
    [server, `${dbName} is already on ${server}`],
  ] as const) {
    const res = await runTenantsCli(['move', dbName!, '--to', to], cliEnv);
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toBe(`move: ${message}`);
  }
  expect(await serverOf(dbName!)).toBe(server);
});

/** `tenants move` as a child process this test can kill. */
function startMove(dbName: string, to: string) {
  const child = spawn(
    process.execPath,
    [
      '--require',
      'tsx/cjs',
      path.join(ROOT_DIR, 'src', 'cli', 'tenants.ts'),
      'move',
      dbName,
      '--to',
      to,
    ],
    {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...cliEnv },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { kill: () => child.kill('SIGKILL'), exited };
}

test.each([
  ['as the move is journalled', 0],
  ['while its rows are copied', 150],
  ['late in the copy', 400],
])(
  'a move killed with -9 %s, then reconcile: the tenant is on exactly one server with all its data',
  async (_, delayMs) => {
    const { dbName, id } = await tenantOn('default', 40_000);
    const before = await fingerprint(urlOn('default', dbName));

    const move = startMove(dbName, 'second');
    await waitUntil('the move to be journalled', async () =>
      (await svc.catalogDb('catalog.tenant_moves').where({ school_id: id }).first())
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    move.kill();
    await move.exited;

    const reconcile = await runTenantsCli(['reconcile'], cliEnv);
    expect(reconcile.code).toBe(0);

    const server = (await serverOf(dbName))!;
    const other = server === 'default' ? 'second' : 'default';
    expect(await databaseExists(adminOf(server), dbName)).toBe(true);
    expect(await databaseExists(adminOf(other), dbName)).toBe(false);
    expect(await fingerprint(urlOn(server, dbName))).toEqual(before);
    const { rows } = await adminOf(server).raw<{ rows: { marker: string | null }[] }>(
      "SELECT shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = ?",
      [dbName],
    );
    expect(signupOfMarker(rows[0]!.marker)).toBe(id);
    expect(
      await svc.catalogDb('catalog.tenant_moves').where({ school_id: id }).first(),
    ).toBeUndefined();
    // Writable again wherever it is.
    await withKnex(urlOn(server, dbName), {}, (db) =>
      db('students').insert({ first_name: 'After', last_name: 'Crash' }),
    );
    await expectNoDebrisOnSecond();
  },
);

/**
 * A move stopped by a crash at its most delicate points, set up step by step with the
 * product's own pieces, under the owner key of a process that is gone.
 */
async function moveStoppedAt(state: 'copying' | 'switched') {
  const { dbName, id } = await tenantOn('default', 1000);
  const before = await fingerprint(urlOn('default', dbName));
  const target = svc.servers.get('second');
  await target.provisioner.prepare(id);
  await copyTenantData(
    urlOn('default', dbName),
    target.urlOf(target.databases.ownership.stagingName(id)),
  );
  await svc.servers.default.databases.setReadOnly(dbName, true);
  await target.databases.promote(target.provisioner.finalRename(id, dbName));
  await svc.catalogDb('catalog.tenant_moves').insert({
    school_id: id,
    from_server: 'default',
    to_server: 'second',
    state,
    owner_key: 2_000_000_000,
  });
  if (state === 'switched')
    await svc.catalogDb('catalog.schools').where({ id }).update({ server: 'second' });
  return { dbName, id, before };
}

test('reconcile undoes a move that died after its copy took the name, before the switch: the source stays, writable', async () => {
  const { dbName, id, before } = await moveStoppedAt('copying');

  const summary = await svc.reconcile();

  expect(summary.movesSettled).toEqual([dbName]);
  expect(await serverOf(dbName)).toBe('default');
  expect(await databaseExists(second, dbName)).toBe(false);
  expect(await fingerprint(urlOn('default', dbName))).toEqual(before);
  await withKnex(urlOn('default', dbName), {}, (db) =>
    db('students').insert({ first_name: 'Still', last_name: 'Here' }),
  );
  expect(
    await svc.catalogDb('catalog.tenant_moves').where({ school_id: id }).first(),
  ).toBeUndefined();
});

test('reconcile finishes a move that died after the switch: the source is dropped, the copy stays', async () => {
  const { dbName, id, before } = await moveStoppedAt('switched');

  const summary = await svc.reconcile();

  expect(summary.movesSettled).toEqual([dbName]);
  expect(await serverOf(dbName)).toBe('second');
  expect(await databaseExists(svc.admin, dbName)).toBe(false);
  expect(await fingerprint(urlOn('second', dbName))).toEqual(before);
  expect(
    await svc.catalogDb('catalog.tenant_moves').where({ school_id: id }).first(),
  ).toBeUndefined();
});

test('two migrate runs at once across both servers both succeed, each tenant migrated once', async () => {
  await tenantOn('default', 10);
  await tenantOn('second', 10);
  const name = '29990301000000_both_servers';
  await writeFile(
    path.join(migrationsDir, `${name}.js`),
    "exports.up = (k) => k.schema.createTable('both_servers', (t) => t.increments());\n" +
      'exports.down = () => undefined;\n',
  );
  const [a, b] = await Promise.all([
    runTenantsCli(['migrate'], cliEnv),
    runTenantsCli(['migrate'], cliEnv),
  ]);
  expect([a.code, b.code]).toEqual([0, 0]);

  const rows: { db_name: string; server: string; migration_version: string }[] = await svc
    .catalogDb('catalog.schools')
    .where({ status: 'ready' })
    .select('db_name', 'server', 'migration_version');
  expect(new Set(rows.map((r) => r.server))).toEqual(new Set(['default', 'second']));
  for (const row of rows) {
    expect({ db: row.db_name, version: row.migration_version }).toEqual({
      db: row.db_name,
      version: '29990301000000',
    });
    const applied = await withKnex(urlOn(row.server, row.db_name), {}, (db) =>
      db('knex_migrations')
        .where({ name: `${name}.js` })
        .count<{ n: string }[]>({ n: '*' }),
    );
    expect({ db: row.db_name, applied: applied[0]!.n }).toEqual({ db: row.db_name, applied: '1' });
  }
});

test('with one server down, signups go on on the other, migrate fails only its tenants (exit 1), the service restarts; back up, migrate brings them up', async () => {
  await tenantOn('second', 10);
  const onSecond = (await svc
    .catalogDb('catalog.schools')
    .where({ server: 'second' })
    .pluck('db_name')) as string[];
  expect(onSecond.length).toBeGreaterThan(0);
  await second.destroy();
  await cluster.stop();

  // At once, while the servers' health answer (cached for seconds) still says it is up: a
  // signup placed there finds it away before calling Auth0, and is placed again.
  for (let i = 0; i < 3; i++) {
    const s = signupBody('Outage School');
    attempted.push(s.dbName);
    expect((await request(svc.app).post('/users').send(s.request)).status).toBe(201);
    expect(await serverOf(s.dbName)).toBe('default');
  }
  const during = await signUp(5, 'Outage School');
  expect(await Promise.all(during.map(serverOf))).toEqual(Array(5).fill('default'));

  const name = '29990302000000_while_down';
  await writeFile(
    path.join(migrationsDir, `${name}.js`),
    "exports.up = (k) => k.schema.createTable('while_down', (t) => t.increments());\n" +
      'exports.down = () => undefined;\n',
  );
  const down = await runTenantsCli(['migrate'], cliEnv);
  expect(down.code).toBe(1);
  for (const db of onSecond)
    expect(down.stdout).toMatch(new RegExp(`FAILED ${db}: server second is unreachable`));
  const defaults = (await svc
    .catalogDb('catalog.schools')
    .where({ server: 'default', status: 'ready' })
    .pluck('migration_version')) as string[];
  expect(new Set(defaults)).toEqual(new Set(['29990302000000']));

  // A restart of the service with the server still down: it starts and serves.
  const logs = captureLogs();
  const restarted = await startService(svc.config, logs.logger);
  try {
    const s = signupBody('Restarted School');
    attempted.push(s.dbName);
    expect((await request(restarted.app).post('/users').send(s.request)).status).toBe(201);
    expect(await serverOf(s.dbName)).toBe('default');
  } finally {
    await restarted.close();
  }

  cluster = await startPgCluster(path.join(clusterDir, 'data'), clusterPort);
  second = createKnex(cluster.url, { pool: { min: 0, max: 2 } });
  const up = await runTenantsCli(['migrate'], cliEnv);
  expect(up.code).toBe(0);
  const versions: { migration_version: string }[] = await svc
    .catalogDb('catalog.schools')
    .where({ status: 'ready' })
    .distinct('migration_version');
  expect(versions).toEqual([{ migration_version: '29990302000000' }]);
  await expectEachOnItsServer();
});
