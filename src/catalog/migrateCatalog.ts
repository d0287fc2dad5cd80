import { withAdvisoryLock, type Knex } from '../db/knexFactory';
import { catalogMigrations } from '../db/migrationSettings';

/** Arbitrary constant: "catalog schema migration", in the catalog database. */
const CATALOG_MIGRATION_LOCK_KEY = 7_302_114_554;

/**
 * Brings the catalog to its latest schema (`src/catalog/migrations/`) at start-up. Processes starting
 * together (two servers, a server and the CLI, two CLIs) would race on knex's lock table,
 * where the loser fails instead of waiting (knex #1950); under an advisory lock it waits,
 * then finds nothing left to do.
 */
export async function migrateCatalog(catalog: Knex): Promise<void> {
  await withAdvisoryLock(catalog, CATALOG_MIGRATION_LOCK_KEY, () =>
    catalog.migrate.latest(catalogMigrations),
  );
}
