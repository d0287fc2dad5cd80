import { readdirSync } from 'node:fs';
import path from 'node:path';
import { withDatabase } from '../db/databaseUrl';
import { withKnex, type Knex } from '../db/knexFactory';
import { tenantMigrations } from '../db/migrationSettings';

/**
 * Migrating one tenant database. knex's own migration lock *fails* when another process holds
 * it (knex #1950); a session-level advisory lock makes a concurrent migrator (a second
 * server starting, the CLI) wait instead, after which it finds nothing left to do.
 */

/** Arbitrary constant key: "tenant schema migration" in every tenant database. */
const MIGRATION_LOCK_KEY = 7_302_114_551;

/**
 * The newest migration in the tenant migrations folder, i.e. the version every tenant should
 * be at. Like knex's `currentVersion()`, a version is the migration's timestamp prefix.
 */
export function latestTenantVersion(directory?: string): string {
  const names = readdirSync(tenantMigrations(directory).directory as string)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.basename(f).split('_')[0] ?? '')
    .sort();
  const latest = names.at(-1);
  if (!latest) throw new Error('the tenant migrations folder has no migrations');
  return latest;
}

/**
 * A pool of exactly one connection: the session lock and the migrations share it, so a
 * tenant costs one connection and the lock dies with the session if anything goes wrong.
 */
async function withMigrationLock<T>(db: Knex, fn: () => Promise<T>): Promise<T> {
  await db.raw('SELECT pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]);
  try {
    return await fn();
  } finally {
    await db.raw('SELECT pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]);
  }
}

export type MigrationDirection = 'latest' | 'rollback';

/** Brings one tenant database to the latest migration (or back one batch); returns its version. */
export async function migrateTenant(
  serverUrl: string,
  dbName: string,
  migrationsDir?: string,
  direction: MigrationDirection = 'latest',
): Promise<string> {
  const settings = tenantMigrations(migrationsDir);
  return withKnex(withDatabase(serverUrl, dbName), { pool: { min: 1, max: 1 } }, (db) =>
    withMigrationLock(db, async () => {
      await (direction === 'latest' ? db.migrate.latest(settings) : db.migrate.rollback(settings));
      return db.migrate.currentVersion(settings);
    }),
  );
}
