import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from '../../db/knexFactory';
import { tenantMigrations } from '../../db/migrationSettings';

/**
 * The tenant migrations of this release, read from disk once. Names and versions follow
 * knex's conventions, so knex's own migrator and the fleet's one-transaction migrator
 * (oneTransaction.ts) read and write the same `knex_migrations` rows.
 */

export interface TenantMigration {
  /** The file name, as knex records it in knex_migrations.name. */
  name: string;
  up(knex: Knex): Promise<unknown>;
  down?(knex: Knex): Promise<unknown>;
  /** knex's per-migration switch: `export const config = { transaction: false }`. */
  config?: { transaction?: boolean };
}

/**
 * Where a tenant's schema stands: the newest migration's version, and a fingerprint of the
 * whole set of migrations. The version alone is not enough: a migration merged from an
 * older branch has an older timestamp than the newest one, and knex applies it all the same.
 */
export interface TenantSchema {
  version: string;
  /** 16 hex characters: a SHA-256 of the sorted migration names. */
  set: string;
}

/**
 * The one rule for "this tenant is behind": it is not at this release's schema, by version or
 * by migration set (a migration merged with an older timestamp leaves the version as it was).
 */
export function isBehind(
  recorded: { migrationVersion: string | null; migrationSet: string | null },
  schema: TenantSchema,
): boolean {
  return recorded.migrationVersion !== schema.version || recorded.migrationSet !== schema.set;
}

export interface TenantMigrationSet {
  directory: string;
  /** File names in the order knex applies them. */
  names: readonly string[];
  /**
   * What a tenant at this release's schema has: the newest migration's timestamp prefix
   * (the version every tenant should be at) and the set's fingerprint.
   */
  schema: TenantSchema;
  /** Loads (requires) one migration, once. */
  load(name: string): TenantMigration;
}

/** A version is the migration's timestamp prefix, as knex's `currentVersion()` reports it. */
export function versionOf(name: string): string {
  return path.basename(name).split('_')[0] ?? '';
}

/** The newest version among `names` ('none' when empty, like knex). */
export function newestVersion(names: Iterable<string>): string {
  let newest: string | undefined;
  for (const name of names) {
    const version = versionOf(name);
    if (newest === undefined || version > newest) newest = version;
  }
  return newest ?? 'none';
}

/** The fingerprint of a set of migration names (see TenantSchema). */
export function migrationSetId(names: readonly string[]): string {
  return createHash('sha256')
    .update([...names].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

export function loadTenantMigrationSet(directory?: string): TenantMigrationSet {
  const dir = tenantMigrations(directory).directory as string;
  // knex's default: .ts/.js files sorted by name (.d.ts excluded).
  const names = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  if (names.length === 0) throw new Error(`the tenant migrations folder ${dir} has no migrations`);
  // Cached here too: require() of a cached module still resolves its path through every
  // loader hook (tsx's among them), which a 1 000-tenant run would pay per tenant.
  const loaded = new Map<string, TenantMigration>();
  return {
    directory: dir,
    names,
    schema: { version: newestVersion(names), set: migrationSetId(names) },
    load(name) {
      let migration = loaded.get(name);
      if (!migration) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(path.join(dir, name)) as Omit<TenantMigration, 'name'>;
        if (typeof mod.up !== 'function') throw new Error(`tenant migration ${name} has no up()`);
        migration = { ...mod, name };
        loaded.set(name, migration);
      }
      return migration;
    },
  };
}
