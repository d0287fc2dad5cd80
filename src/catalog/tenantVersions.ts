import type { Knex } from '../db/knexFactory';
import { clipError } from './schoolRows';

/**
 * catalog.schools as the fleet migration sees it: which tenants to migrate, and what each
 * reached. The versions recorded here are how a no-op deploy skips every tenant without
 * connecting to it.
 */

export interface TenantVersion {
  id: string;
  dbName: string;
  server: string;
  migrationVersion: string | null;
  migrationSet: string | null;
}

export interface TenantVersionsRepository {
  /** Every `ready` tenant (or only those with these database names), by database name. */
  ready(only?: readonly string[]): Promise<TenantVersion[]>;
  /**
   * Records the versions tenants reached, in one statement. `set`: the migration-set
   * fingerprint they reached (null after a rollback, which leaves the set unknown). Clears
   * their last error. This UPDATE commits synchronously: see migrateFleet for why that
   * matters.
   */
  record(reached: readonly { id: string; version: string }[], set: string | null): Promise<void>;
  /** A tenant's migration failed: its row keeps the error (status and version unchanged). */
  recordFailure(id: string, message: string): Promise<void>;
}

export function createTenantVersionsRepository(db: Knex): TenantVersionsRepository {
  return {
    async ready(only) {
      const query = db('catalog.schools')
        .where({ status: 'ready' })
        .orderBy('db_name')
        .select(
          'id',
          'db_name as dbName',
          'server',
          'migration_version as migrationVersion',
          'migration_set as migrationSet',
        );
      if (only) void query.whereIn('db_name', [...only]);
      return (await query) as TenantVersion[];
    },
    async record(reached, set) {
      if (reached.length === 0) return;
      await db.raw(
        `UPDATE catalog.schools s
            SET migration_version = v.version, migration_set = ?, migrated_at = now(),
                last_error = NULL, last_error_at = NULL
           FROM unnest(?::uuid[], ?::text[]) AS v(id, version)
          WHERE s.id = v.id`,
        [set, reached.map((r) => r.id), reached.map((r) => r.version)],
      );
    },
    async recordFailure(id, message) {
      await db('catalog.schools')
        .where({ id })
        .update({ last_error: clipError(`migrate: ${message}`), last_error_at: db.fn.now() });
    },
  };
}
