import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { withDatabase } from '../../src/db/databaseUrl';
import { withKnex } from '../../src/db/knexFactory';
import { runTenantsCli } from '../helpers/cliProcess';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { startServerProcess } from '../helpers/serverProcess';
import { signupBody } from '../helpers/signupData';
import { databaseExists, startTestService, type TestService } from '../helpers/testService';

/**
 * The operator's view: `npm run tenants -- …` as a child process against the same catalog a
 * service uses. Each test adds what it needs; tenants are created through real signups.
 */

jest.setTimeout(120_000);

let svc: TestService;
let migrationsDir: string;
let env: Record<string, string>;
const schools: { dbName: string; email: string; schoolName: string }[] = [];

beforeAll(async () => {
  migrationsDir = await migrationsDirWith('SELECT 1');
  svc = await startTestService({ env: { TENANT_MIGRATIONS_DIR: migrationsDir } });
  env = svc.cliEnv({ TENANT_MIGRATIONS_DIR: migrationsDir });
  for (let i = 0; i < 6; i++) {
    const s = signupBody('Cli School');
    const res = await request(svc.app).post('/users').send(s.request).expect(201);
    schools.push({ dbName: res.body.school.dbName, email: s.email, schoolName: s.schoolName });
  }
});
afterAll(async () => {
  await svc.close();
});

let migrationCounter = 0;
/** Ships a new tenant migration (as a release would); returns its name. */
async function addMigration(): Promise<string> {
  const name = `29990201${String(++migrationCounter).padStart(6, '0')}_cli_step_${migrationCounter}`;
  await writeFile(
    path.join(migrationsDir, `${name}.js`),
    `exports.up = (k) => k.schema.createTable('cli_step_${migrationCounter}', (t) => t.increments());\n` +
      `exports.down = (k) => k.schema.dropTable('cli_step_${migrationCounter}');\n`,
  );
  return name;
}

const appliedIn = (dbName: string) =>
  withKnex(
    withDatabase(svc.serverUrl, dbName),
    {},
    (db) => db('knex_migrations').pluck('name') as Promise<string[]>,
  );

const live = () => schools.filter((s) => !s.dbName.startsWith('gone:'));

test('--help lists the commands, and each command explains itself', async () => {
  const help = await runTenantsCli(['--help'], env);
  expect(help.code).toBe(0);
  for (const cmd of ['migrate', 'status', 'rollback', 'reconcile', 'delete', 'events'])
    expect(help.stdout).toContain(cmd);
  const deleteHelp = await runTenantsCli(['delete', '--help'], env);
  expect(deleteHelp.stdout).toContain('--yes');
});

test('events lists the user.new events waiting in the outbox when no broker is configured', async () => {
  const res = await runTenantsCli(['events'], env);
  expect(res.code).toBe(0);
  for (const s of live()) expect(res.stdout).toContain(s.schoolName);
  expect((await runTenantsCli(['status'], env)).stdout).toMatch(/6 events not yet published/);
  const json = JSON.parse((await runTenantsCli(['events', '--json'], env)).stdout) as {
    events: { type: string }[];
  };
  expect(json.events.map((e) => e.type)).toEqual(Array(6).fill('user.new'));
});

test('migrate with nothing to do recognises every tenant from the catalog, without connecting to any', async () => {
  const res = await runTenantsCli(['migrate'], env);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(
    /6 tenants: 6 already up to date, 0 migrated, 0 failed .*at most 0 tenant connections/,
  );
});

test('migrate after a new tenant migration brings every tenant to it, within the concurrency bound', async () => {
  const name = await addMigration();
  const res = await runTenantsCli(['migrate', '--concurrency', '2'], env);

  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(
    /6 tenants: 0 already up to date, 6 migrated, 0 failed .*at most 2 tenant connections; 6 in one transaction, 0 by knex/,
  );
  for (const s of live()) expect(await appliedIn(s.dbName)).toContain(`${name}.js`);
  const versions = await svc.catalogDb('catalog.schools').distinct('migration_version');
  expect(versions).toEqual([{ migration_version: name.split('_')[0] }]);
});

test('a migration merged with an older timestamp than the newest reaches every tenant, the template and new signups', async () => {
  // Older than the newest shipped so far: the newest version does not change.
  const name = '29990101000000_cli_merged_late';
  await writeFile(
    path.join(migrationsDir, `${name}.js`),
    "exports.up = (k) => k.schema.createTable('cli_merged_late', (t) => t.increments());\n" +
      "exports.down = (k) => k.schema.dropTable('cli_merged_late');\n",
  );

  const status = await runTenantsCli(['status'], env);
  expect(status.stdout).toMatch(/6 schools, 6 behind/);
  const res = await runTenantsCli(['migrate'], env);

  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/6 tenants: 0 already up to date, 6 migrated, 0 failed/);
  for (const s of live()) expect(await appliedIn(s.dbName)).toContain(`${name}.js`);
  expect((await runTenantsCli(['migrate'], env)).stdout).toMatch(/6 already up to date/);
  expect((await runTenantsCli(['status'], env)).stdout).toMatch(/6 schools, 0 behind/);

  // A server of this release clones the refreshed template: its new tenant has it too.
  const server = await startServerProcess(env);
  try {
    const res2 = await request(server.url)
      .post('/users')
      .send(signupBody('Cli Late').request)
      .expect(201);
    const dbName = res2.body.school.dbName as string;
    expect(await appliedIn(dbName)).toContain(`${name}.js`);
    expect((await runTenantsCli(['migrate'], env)).stdout).toMatch(/7 already up to date/);
    // The other tests count six schools.
    expect((await runTenantsCli(['delete', dbName, '--yes'], env)).code).toBe(0);
  } finally {
    await server.stop();
  }
});

test('two migrate runs started together both succeed and apply each migration once per tenant', async () => {
  const name = await addMigration();
  const [a, b] = await Promise.all([
    runTenantsCli(['migrate'], env),
    runTenantsCli(['migrate'], env),
  ]);

  expect([a.code, b.code]).toEqual([0, 0]);
  expect(`${a.stderr}${b.stderr}`).not.toMatch(/lock|error/i);
  for (const s of live()) {
    expect((await appliedIn(s.dbName)).filter((n) => n === `${name}.js`)).toHaveLength(1);
  }
});

test('status shows each school with its database, version and state', async () => {
  const res = await runTenantsCli(['status'], env);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/6 schools, 0 behind, 0 unfinished signups/);
  for (const s of live()) expect(res.stdout).toContain(s.dbName);
  expect(res.stdout).toMatch(/SCHOOL\s+DATABASE\s+SERVER\s+VERSION\s+STATE\s+LAST ERROR/);

  const json = JSON.parse((await runTenantsCli(['status', '--json'], env)).stdout) as {
    schools: unknown[];
  };
  expect(json.schools).toHaveLength(6);
});

/** Ships a migration and applies it, so every tenant's last batch is that one migration. */
async function migrateOneBatch(): Promise<void> {
  await addMigration();
  expect((await runTenantsCli(['migrate'], env)).code).toBe(0);
}

test('rollback of one tenant undoes its last batch only; the next migrate restores it', async () => {
  await migrateOneBatch();
  const [first, second] = live();
  const before = await appliedIn(second!.dbName);
  const res = await runTenantsCli(['rollback', first!.dbName], env);

  expect(res.code).toBe(0);
  expect((await appliedIn(first!.dbName)).length).toBe(before.length - 1);
  expect(await appliedIn(second!.dbName)).toEqual(before);
  expect((await runTenantsCli(['status'], env)).stdout).toMatch(/1 behind/);

  expect((await runTenantsCli(['migrate'], env)).code).toBe(0);
  expect(await appliedIn(first!.dbName)).toEqual(before);
});

test('rollback --all rolls every tenant back one batch', async () => {
  await migrateOneBatch();
  const before = await appliedIn(live()[0]!.dbName);
  const res = await runTenantsCli(['rollback', '--all'], env);
  expect(res.code).toBe(0);
  for (const s of live()) expect((await appliedIn(s.dbName)).length).toBe(before.length - 1);
  expect((await runTenantsCli(['migrate'], env)).code).toBe(0);
});

test('a tenant whose database is gone is reported and recorded, the others migrate, exit is non-zero, and the server still starts', async () => {
  const victim = live().at(-1)!;
  await svc.admin.raw('DROP DATABASE ?? WITH (FORCE)', [victim.dbName]);
  const name = await addMigration();

  const res = await runTenantsCli(['migrate'], env);

  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/6 tenants: 0 already up to date, 5 migrated, 1 failed/);
  expect(res.stdout).toContain(`FAILED ${victim.dbName}`);
  for (const s of live().slice(0, -1)) expect(await appliedIn(s.dbName)).toContain(`${name}.js`);
  const row = await svc.catalogDb('catalog.schools').where({ db_name: victim.dbName }).first();
  expect(row.last_error).toMatch(/^migrate: /);

  const server = await startServerProcess({
    ...env,
    LOG_LEVEL: 'info',
    RECONCILE_INTERVAL_SECONDS: '0',
  });
  try {
    expect(server.output()).toMatch(/"failed":1[^\n]*tenant migration finished/);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  } finally {
    await server.stop();
  }
  // --verify notices for real what the recorded versions cannot.
  expect((await runTenantsCli(['migrate', '--verify'], env)).stdout).toMatch(/1 failed/);
  // Clean up: the operator deletes the broken school.
  expect((await runTenantsCli(['delete', victim.dbName, '--yes'], env)).code).toBe(0);
  victim.dbName = `gone:${victim.dbName}`;
});

test('delete asks for --yes and changes nothing without it', async () => {
  const target = live()[0]!;
  const res = await runTenantsCli(['delete', target.dbName], env);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('--yes');
  expect(await databaseExists(svc.admin, target.dbName)).toBe(true);
  expect(svc.emulator.findUserByEmail(target.email)).toBeDefined();
});

test('delete --yes leaves no Auth0 user, database or catalog row', async () => {
  const target = live()[0]!;
  const res = await runTenantsCli(['delete', target.dbName, '--yes'], env);

  expect(res.code).toBe(0);
  expect(await databaseExists(svc.admin, target.dbName)).toBe(false);
  expect(svc.emulator.findUserByEmail(target.email)).toBeUndefined();
  expect(
    await svc.catalogDb('catalog.schools').where({ db_name: target.dbName }).first(),
  ).toBeUndefined();
  target.dbName = `gone:${target.dbName}`;
});

test('reconcile reports that there was nothing to finish', async () => {
  const res = await runTenantsCli(['reconcile'], env);
  expect(res.code).toBe(0);
  expect(res.stdout).toMatch(/rolled back 0 interrupted signups/);
});
