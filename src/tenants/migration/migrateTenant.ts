import { withDatabase } from '../../db/databaseUrl';
import type { Logger } from '../../logger';
import { migrateWithKnex, type MigrationDirection } from './knexMigrator';
import { migrateInOneTransaction, type HandOverReason } from './oneTransaction';
import type { TenantMigrationSet, TenantSchema } from './tenantSchema';

/**
 * Migrating one tenant database: forward through the one-transaction migrator where it can
 * serve, knex's migrator otherwise (and always for a rollback). Which path ran is part of
 * the answer, so the fleet can count it and a test can pin the common case: a knex upgrade
 * that broke the fast path would otherwise only make deploys slower, with every test green.
 */

export type MigrationPath = 'one-transaction' | 'knex';

export interface TenantMigrationOutcome {
  /** The version the tenant is at now. */
  version: string;
  path: MigrationPath;
  /** Why the one-transaction path handed over (forward migrations only). */
  handOver?: HandOverReason;
}

export interface TenantMigrator {
  /** The schema every tenant should be at (this release's tenant migrations). */
  readonly schema: TenantSchema;
  readonly migrations: TenantMigrationSet;
  migrate(dbName: string, direction?: MigrationDirection): Promise<TenantMigrationOutcome>;
}

export function createTenantMigrator(opts: {
  /** URL of any database on the tenants' server; tenant URLs are derived from it. */
  serverUrl: string;
  migrations: TenantMigrationSet;
  logger: Logger;
}): TenantMigrator {
  const { serverUrl, migrations, logger } = opts;
  return {
    schema: migrations.schema,
    migrations,
    async migrate(dbName, direction = 'latest') {
      if (direction === 'latest') {
        const outcome = await migrateInOneTransaction(withDatabase(serverUrl, dbName), migrations);
        if ('version' in outcome) return { version: outcome.version, path: 'one-transaction' };
        logger.debug({ dbName, reason: outcome.handOver }, "migrating with knex's migrator");
        const version = await migrateWithKnex(serverUrl, dbName, migrations.directory);
        return { version, path: 'knex', handOver: outcome.handOver };
      }
      return {
        version: await migrateWithKnex(serverUrl, dbName, migrations.directory, direction),
        path: 'knex',
      };
    },
  };
}
