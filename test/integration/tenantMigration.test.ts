import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, withKnex, type Knex } from '../../src/db/knexFactory';
import { DEFAULT_TENANT_MIGRATIONS_DIR, tenantMigrations } from '../../src/db/migrationSettings';
import { createLogger } from '../../src/logger';
import {
  createTenantMigrator,
  type TenantMigrator,
} from '../../src/tenants/migration/migrateTenant';
import { loadTenantMigrationSet } from '../../src/tenants/migration/tenantSchema';
import { serverUrl, uniqueSuffix } from '../helpers/testService';

/**
 * Migrating one live tenant to the latest version, as the fleet does (the one-transaction
 * fast path, and knex's migrator where that path steps aside), against real databases.
 * Each test ships its own migration into its own folder, like a release would.
 */

let admin: Knex;
let dir: string;
const created: string[] = [];

beforeAll(() => {
  admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 2 } });
});
afterAll(async () => {
  for (const db of created) await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await admin.destroy();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tenant-migration-test-'));
  for (const file of await readdir(DEFAULT_TENANT_MIGRATIONS_DIR)) {
    await copyFile(path.join(DEFAULT_TENANT_MIGRATIONS_DIR, file), path.join(dir, file));
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const url = (db: string) => withDatabase(serverUrl(), db);

/** A tenant at this folder's current latest version, migrated by knex itself. */
async function tenantAtLatest(): Promise<string> {
  const db = `test_mig_${uniqueSuffix()}`;
  await admin.raw('CREATE DATABASE ??', [db]);
  created.push(db);
  await withKnex(url(db), {}, (k) => k.migrate.latest(tenantMigrations(dir)));
  return db;
}

/** Ships a migration (JavaScript, as a release might); returns its file name. */
async function ship(version: string, body: string): Promise<string> {
  const name = `${version}_test.js`;
  await writeFile(path.join(dir, name), body);
  return name;
}

/** A migrator made now, so it sees the folder as it is (as a new release would). */
function migrator(): TenantMigrator {
  return createTenantMigrator({
    serverUrl: serverUrl(),
    migrations: loadTenantMigrationSet(dir),
    logger: createLogger('silent'),
  });
}

/** The version a migration run leaves the tenant at. */
const migrate = async (db: string, direction?: 'latest' | 'rollback') =>
  (await migrator().migrate(db, direction)).version;

const applied = (db: string) =>
  withKnex(url(db), {}, (k) => k('knex_migrations').orderBy('id').pluck('name')) as Promise<
    string[]
  >;

/** What a failed migration reports (its message, as the fleet records it). */
async function failureOf(migration: Promise<unknown>): Promise<string> {
  const error: unknown = await migration.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

const tableExists = (db: string, table: string) =>
  withKnex(url(db), {}, (k) => k.schema.hasTable(table));

test('a new migration is applied and recorded as knex records it: knex then finds nothing pending and can roll it back', async () => {
  const db = await tenantAtLatest();
  const name = await ship(
    '29990301000001',
    `exports.up = (k) => k.schema.createTable('fast_one', (t) => t.increments());
     exports.down = (k) => k.schema.dropTable('fast_one');`,
  );

  const outcome = await migrator().migrate(db);

  // The common case runs on the one-transaction path: if a knex upgrade broke it, every
  // tenant would quietly go through knex's migrator instead, and only this would say so.
  expect(outcome).toEqual({ version: '29990301000001', path: 'one-transaction' });
  const { version } = outcome;
  expect(await tableExists(db, 'fast_one')).toBe(true);
  await withKnex(url(db), {}, async (k) => {
    const [, pending] = (await k.migrate.list(tenantMigrations(dir))) as [unknown[], unknown[]];
    expect(pending).toEqual([]);
    expect(await k.migrate.currentVersion(tenantMigrations(dir))).toBe(version);
    await k.migrate.rollback(tenantMigrations(dir));
  });
  expect(await tableExists(db, 'fast_one')).toBe(false);
  expect(await applied(db)).not.toContain(name);
});

test('a tenant already at the latest version is left as it is', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  const outcome = await migrator().migrate(db);
  expect(outcome).toEqual({ version: before.at(-1)!.split('_')[0], path: 'one-transaction' });
  expect(await applied(db)).toEqual(before);
});

test('a migration that fails half-way leaves the tenant exactly as it was', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  await ship(
    '29990301000002',
    `exports.up = async (k) => {
       await k.schema.createTable('half_done', (t) => t.increments());
       await k.raw('SELECT 1/0');
     };
     exports.down = async () => {};`,
  );

  expect(await failureOf(migrate(db))).toMatch(/division by zero/);

  expect(await tableExists(db, 'half_done')).toBe(false);
  expect(await applied(db)).toEqual(before);
});

test('a migration that reads between its schema changes sees every change made before the read', async () => {
  const db = await tenantAtLatest();
  await ship(
    '29990301000003',
    `exports.up = async (k) => {
       await k.schema.createTable('seen_a', (t) => t.increments());
       await k.raw('ALTER TABLE seen_a ADD COLUMN label text');
       // A read: what came before it must already have run.
       const hasLabel = await k.schema.hasColumn('seen_a', 'label');
       const { rows } = await k.raw("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'seen_a'");
       await k.raw(\`COMMENT ON TABLE seen_a IS 'label \${hasLabel} tables \${rows[0].n}'\`);
       await k.schema.createTable('seen_b', (t) => t.increments());
     };
     exports.down = async () => {};`,
  );

  expect(await migrate(db)).toBe('29990301000003');

  const comment = await withKnex(url(db), {}, async (k) => {
    const { rows } = await k.raw<{ rows: { c: string }[] }>(
      "SELECT obj_description('seen_a'::regclass, 'pg_class') AS c",
    );
    return rows[0]!.c;
  });
  expect(comment).toBe('label true tables 1');
  expect(await tableExists(db, 'seen_b')).toBe(true);
});

test('a schema change that fails is reported with its own error, and nothing of the migration stays', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  await ship(
    '29990301000004',
    `exports.up = async (k) => {
       await k.schema.createTable('before_failure', (t) => t.increments());
       await k.raw('ALTER TABLE no_such_table ADD COLUMN x int');
       await k.schema.createTable('after_failure', (t) => t.increments());
     };
     exports.down = async () => {};`,
  );

  expect(await failureOf(migrate(db))).toMatch(/relation "no_such_table" does not exist/);

  expect(await tableExists(db, 'before_failure')).toBe(false);
  expect(await tableExists(db, 'after_failure')).toBe(false);
  expect(await applied(db)).toEqual(before);
});

test('a migration that catches a failed schema change and goes on fails as it does under knex', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  await ship(
    '29990301000005',
    `exports.up = async (k) => {
       try { await k.raw('DROP TABLE no_such_table'); } catch (e) { /* "already gone" */ }
       await k.schema.createTable('went_on', (t) => t.increments());
     };
     exports.down = async () => {};`,
  );

  // In a transaction the caught error has aborted it: knex's migrator fails here too.
  expect(await failureOf(migrate(db))).toMatch(/does not exist|aborted/);

  expect(await tableExists(db, 'went_on')).toBe(false);
  expect(await applied(db)).toEqual(before);
});

test('a migration that opts out of transactions (CREATE INDEX CONCURRENTLY) is run by knex’s migrator', async () => {
  const db = await tenantAtLatest();
  const name = await ship(
    '29990301000003',
    `exports.config = { transaction: false };
     exports.up = (k) => k.raw('CREATE INDEX CONCURRENTLY students_grade_idx ON students (grade)');
     exports.down = (k) => k.raw('DROP INDEX students_grade_idx');`,
  );

  expect(await migrator().migrate(db)).toEqual({
    version: '29990301000003',
    path: 'knex',
    handOver: 'migration opts out of transactions',
  });
  expect(await applied(db)).toContain(name);
  const { rows } = await withKnex(url(db), {}, (k) =>
    k.raw<{ rows: unknown[] }>("SELECT 1 FROM pg_indexes WHERE indexname = 'students_grade_idx'"),
  );
  expect(rows).toHaveLength(1);
});

test('a migration that opens its own transaction stays all-or-nothing: knex’s migrator runs it, and its transaction is a savepoint', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  const failing = await ship(
    '29990301000004',
    `exports.up = async (k) => {
       await k.transaction((trx) => trx.schema.createTable('own_trx', (t) => t.increments()));
       await k.raw('SELECT 1/0');
     };
     exports.down = async () => {};`,
  );

  expect(await failureOf(migrate(db))).toMatch(/division by zero/);
  expect(await tableExists(db, 'own_trx')).toBe(false);
  expect(await applied(db)).toEqual(before);

  await rm(path.join(dir, failing));
  const fixed = await ship(
    '29990301000014',
    `exports.up = (k) => k.transaction((trx) => trx.schema.createTable('own_trx', (t) => t.increments()));
     exports.down = (k) => k.schema.dropTable('own_trx');`,
  );
  expect(await migrator().migrate(db)).toEqual({
    version: '29990301000014',
    path: 'knex',
    handOver: 'nested transaction',
  });
  expect(await tableExists(db, 'own_trx')).toBe(true);
  expect(await applied(db)).toEqual([...before, fixed]);
});

test('while knex’s own migration lock is held, the tenant fails with a message naming it and nothing is applied', async () => {
  const db = await tenantAtLatest();
  const before = await applied(db);
  await ship(
    '29990301000005',
    `exports.up = (k) => k.schema.createTable('blocked', (t) => t.increments());
     exports.down = async () => {};`,
  );
  await withKnex(url(db), {}, (k) => k('knex_migrations_lock').update({ is_locked: 1 }));

  expect(await failureOf(migrate(db))).toMatch(/knex_migrations_lock.*migrate:unlock/);

  expect(await tableExists(db, 'blocked')).toBe(false);
  expect(await applied(db)).toEqual(before);
});

test('a knex migrate.latest started during the migration waits for it, then finds nothing to do', async () => {
  const db = await tenantAtLatest();
  const name = await ship(
    '29990301000006',
    `exports.up = async (k) => {
       await k.raw('SELECT pg_sleep(0.5)');
       await k.schema.createTable('raced', (t) => t.increments());
     };
     exports.down = async () => {};`,
  );

  const ours = migrate(db);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const knexRun = withKnex(url(db), {}, (k) => k.migrate.latest(tenantMigrations(dir)));

  await expect(ours).resolves.toBe('29990301000006');
  await expect(knexRun).resolves.toEqual([expect.any(Number), []]);
  expect((await applied(db)).filter((n) => n === name)).toHaveLength(1);
});

test('a migrate arriving during a rollback of the same tenant waits for it, then brings the tenant forward again', async () => {
  const db = await tenantAtLatest();
  const name = await ship(
    '29990301000010',
    `exports.up = (k) => k.schema.createTable('back_and_forth', (t) => t.increments());
     exports.down = async (k) => {
       await k.raw('SELECT pg_sleep(0.5)');
       await k.schema.dropTable('back_and_forth');
     };`,
  );
  await migrate(db);

  const rollback = migrate(db, 'rollback');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const forward = migrate(db);

  await expect(rollback).resolves.toBeDefined();
  await expect(forward).resolves.toBe('29990301000010');
  expect(await tableExists(db, 'back_and_forth')).toBe(true);
  expect((await applied(db)).filter((n) => n === name)).toHaveLength(1);
});

test('two migrators on one tenant at once: both succeed and the migration is applied once', async () => {
  const db = await tenantAtLatest();
  const name = await ship(
    '29990301000007',
    `exports.up = async (k) => {
       await k.raw('SELECT pg_sleep(0.2)');
       await k.schema.createTable('twice', (t) => t.increments());
     };
     exports.down = async () => {};`,
  );

  const versions = await Promise.all([migrate(db), migrate(db)]);

  expect(versions).toEqual(['29990301000007', '29990301000007']);
  expect((await applied(db)).filter((n) => n === name)).toHaveLength(1);
});

test('a database with migrations this release does not know is reported and not changed', async () => {
  const db = await tenantAtLatest();
  await ship(
    '29990301000008',
    `exports.up = (k) => k.schema.createTable('from_the_future', (t) => t.increments());
     exports.down = async () => {};`,
  );
  await migrate(db);
  await rm(path.join(dir, '29990301000008_test.js'));
  await ship(
    '29990301000009',
    `exports.up = (k) => k.schema.createTable('never', (t) => t.increments());
     exports.down = async () => {};`,
  );

  expect(await failureOf(migrate(db))).toMatch(/does not know \(29990301000008_test\.js\)/);
  expect(await tableExists(db, 'never')).toBe(false);
});
