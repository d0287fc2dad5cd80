import path from 'node:path';
import type { Knex } from 'knex';

/** Repository root, so migrations are found whatever the working directory. */
export const ROOT_DIR = path.resolve(__dirname, '..', '..');

const extensions = ['.ts', '.js'];

/** The catalog's own schema (`migrations/`), also used by knexfile.ts for the knex CLI. */
export const catalogMigrations: Knex.MigratorConfig = {
  directory: path.join(ROOT_DIR, 'migrations'),
  loadExtensions: extensions,
  tableName: 'knex_migrations',
};

/** Every tenant database's schema (`tenant-migrations/`). */
export const tenantMigrations: Knex.MigratorConfig = {
  directory: path.join(ROOT_DIR, 'tenant-migrations'),
  loadExtensions: extensions,
  tableName: 'knex_migrations',
};
