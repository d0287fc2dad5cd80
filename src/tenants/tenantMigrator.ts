import { readdirSync } from 'node:fs';
import path from 'node:path';
import { withDatabase } from '../db/databaseUrl';
import { withKnex, type Knex } from '../db/knexFactory';
import { tenantMigrations } from '../db/migrationSettings';

/**
 * Migrating one tenant database. knex's own migration lock *fails* when another process holds
 * it (knex #1950); a session-level advisory lock held on a second connection makes a
 * concurrent migrator wait instead, after which it finds nothing left to do.
 */

/** Arbitrary constant key: "tenant schema migration" in every tenant database. */
const MIGRATION_LOCK_KEY = 7_302_114_551;

/**
 * The newest migration in tenant-migrations/, i.e. the version every tenant should be at.
 * Like knex's `currentVersion()`, a version is the migration's timestamp prefix.
 */
export function latestTenantVersion(directory?: string): string {
  const names = readdirSync(tenantMigrations(directory).directory as string)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.basename(f).split('_')[0] ?? '')
    .sort();
  const latest = names.at(-1);
  if (!latest) throw new Error('tenant-migrations/ has no migrations');
  return latest;
}

async function withMigrationLock<T>(db: Knex, fn: () => Promise<T>): Promise<T> {
  // The lock lives in a transaction on one pooled connection; the migrator uses the other.
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return fn();
  });
}

/** Brings one tenant database to the latest migration; returns the version it is at. */
export async function migrateTenant(
  serverUrl: string,
  dbName: string,
  migrationsDir?: string,
): Promise<string> {
  const settings = tenantMigrations(migrationsDir);
  // Two connections: one holds the advisory lock, one runs the migrations.
  return withKnex(withDatabase(serverUrl, dbName), { pool: { min: 0, max: 2 } }, (db) =>
    withMigrationLock(db, async () => {
      await db.migrate.latest(settings);
      return db.migrate.currentVersion(settings);
    }),
  );
}
