import { withDatabase } from '../../db/databaseUrl';
import { withKnex, type Knex } from '../../db/knexFactory';
import { tenantMigrations } from '../../db/migrationSettings';

/**
 * Migrating one tenant database with knex's own migrator: for rollbacks, brand-new databases
 * (the template, a staging database) and what the fleet's one-transaction path
 * (oneTransaction.ts) hands over. knex's lock table *fails* when another process holds
 * it (knex #1950), so these runs first take a session-level advisory lock and wait for each
 * other; the fast path, which sees knex's lock taken during such a run, hands over and waits
 * here too.
 */

/** Arbitrary constant key: "tenant schema migration" in every tenant database. */
const MIGRATION_LOCK_KEY = 7_302_114_551;

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

export class KnexMigrationLockHeldError extends Error {
  override name = 'KnexMigrationLockHeldError';
  constructor() {
    super(
      "knex's migration lock (knex_migrations_lock) is held: a knex migrate is running there, or one " +
        'crashed and left it locked (npx knex migrate:unlock)',
    );
  }
}

/** Brings one tenant database to the latest migration (or back one batch); returns its version. */
export async function migrateWithKnex(
  serverUrl: string,
  dbName: string,
  migrationsDir?: string,
  direction: MigrationDirection = 'latest',
): Promise<string> {
  const settings = tenantMigrations(migrationsDir);
  return withKnex(withDatabase(serverUrl, dbName), { pool: { min: 1, max: 1 } }, (db) =>
    withMigrationLock(db, async () => {
      try {
        await (direction === 'latest'
          ? db.migrate.latest(settings)
          : db.migrate.rollback(settings));
      } catch (error) {
        // Our own knex-path runs hold MIGRATION_LOCK_KEY, so whoever holds knex's lock now is
        // a knex CLI run by hand, or one that crashed.
        if ((error as Error).name === 'MigrationLocked') throw new KnexMigrationLockHeldError();
        throw error;
      }
      return db.migrate.currentVersion(settings);
    }),
  );
}
