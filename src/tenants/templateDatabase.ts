import { withAdvisoryLock, type Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import { databaseComment } from './tenantDatabases';
import { migrateTenant } from './tenantMigrator';

/**
 * New tenants are cloned from a template database (default `tenant_template`) kept at the
 * latest tenant migration: CREATE DATABASE … TEMPLATE copies files instead of replaying every
 * migration.
 *
 * PostgreSQL refuses to clone a database anyone is connected to ("source database is being
 * accessed by other users", knex-db-manager #29). So the template normally has
 * ALLOW_CONNECTIONS false — nobody can be connected — and is only opened while it is being
 * refreshed, under an exclusive advisory lock that clones wait on (they take it shared).
 */

export const DEFAULT_TEMPLATE_DB = 'tenant_template';
/** Catalog-database advisory lock: shared by clones, exclusive for a refresh. */
export const TEMPLATE_LOCK_KEY = 7_302_114_553;
/** COMMENT takes no bind parameters: the version must be digits only. */
const markerFor = (version: string) => {
  if (!/^\d+$/.test(version)) throw new Error(`Unexpected tenant migration version ${version}`);
  return `tenant-template version=${version}`;
};

/** The template's version from its marker; undefined when there is no template. */
async function templateVersion(
  admin: Knex,
  template: string,
  connection?: unknown,
): Promise<string | undefined | null> {
  const comment = await databaseComment(admin, template, connection);
  if (comment === undefined) return undefined;
  return /^tenant-template version=(\d+)$/.exec(comment ?? '')?.[1] ?? null;
}

/**
 * Makes sure the template exists and is at `latest`; creates or migrates it otherwise. Safe
 * to call from several processes at once. A template already *newer* than `latest` (a newer
 * release is rolling out) is left alone; this process's signups then create and migrate.
 */
export async function ensureTemplate(opts: {
  admin: Knex;
  serverUrl: string;
  template: string;
  latest: string;
  migrationsDir?: string;
  logger: Logger;
}): Promise<void> {
  const { admin, serverUrl, template, latest, migrationsDir, logger } = opts;
  const currentOrNewer = (v: string | null | undefined) => typeof v === 'string' && v >= latest;
  if (currentOrNewer(await templateVersion(admin, template))) return;
  await withAdvisoryLock(admin, TEMPLATE_LOCK_KEY, async () => {
    const version = await templateVersion(admin, template);
    if (currentOrNewer(version)) return; // another process refreshed it while we waited
    if (version === undefined) {
      await admin.raw('CREATE DATABASE ??', [template]);
    } else {
      await admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS true', [template]);
    }
    let reached: string;
    try {
      reached = await migrateTenant(serverUrl, template, migrationsDir);
    } finally {
      // Not IS_TEMPLATE (superuser-only on some versions): the owner may clone it anyway.
      await admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS false', [template]);
      // End any straggler (our own just-closed migration session) so clones never meet it.
      await admin.raw(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
        [template],
      );
    }
    await admin.raw(`COMMENT ON DATABASE ?? IS '${markerFor(reached)}'`, [template]);
    logger.info({ template, version: reached }, 'tenant template database refreshed');
  });
}

/**
 * Clones the template into `name`. Resolves false (the caller then creates and migrates)
 * when the template is missing or not exactly at `latest`.
 */
export async function cloneTemplate(
  admin: Knex,
  template: string,
  name: string,
  latest: string,
): Promise<boolean> {
  // One connection for the lock, the version check and the CREATE: a clone that needed a
  // second one while holding the first could deadlock a pool full of clones. The check is a
  // statement of its own, after the lock: a statement's snapshot is taken when it starts, so
  // one that waited for a refresh inside it would still see the template's old version.
  return withAdvisoryLock(
    admin,
    TEMPLATE_LOCK_KEY,
    async (conn) => {
      if ((await templateVersion(admin, template, conn)) !== latest) return false;
      await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, template]).connection(conn);
      return true;
    },
    'shared',
  );
}
