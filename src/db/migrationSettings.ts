import path from 'node:path';
import type { Knex } from 'knex';

/** Repository root, so migrations are found whatever the working directory. */
export const ROOT_DIR = path.resolve(__dirname, '..', '..');

const extensions = ['.ts', '.js'];

/** The catalog's own schema (`src/catalog/migrations/`), also used by knexfile.ts for the knex CLI. */
export const catalogMigrations: Knex.MigratorConfig = {
  directory: path.join(ROOT_DIR, 'src', 'catalog', 'migrations'),
  loadExtensions: extensions,
  tableName: 'knex_migrations',
};

export const DEFAULT_TENANT_MIGRATIONS_DIR = path.join(ROOT_DIR, 'tenant-migrations');

/** Every tenant database's schema (`tenant-migrations/` unless TENANT_MIGRATIONS_DIR says otherwise). */
export function tenantMigrations(directory = DEFAULT_TENANT_MIGRATIONS_DIR): Knex.MigratorConfig {
  return {
    directory: path.resolve(directory),
    loadExtensions: extensions,
    tableName: 'knex_migrations',
  };
}
