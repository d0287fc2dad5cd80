import { withDatabase } from '../../db/databaseUrl';
import { withAdvisoryLock, withKnex, type Knex } from '../../db/knexFactory';
import type { Logger } from '../../logger';
import { migrateWithKnex } from '../migration/knexMigrator';
import type { TenantSchema } from '../migration/tenantSchema';
import { databaseComment } from '../serverDatabases';

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

/** Catalog-database advisory lock: shared by clones, exclusive for a refresh. */
export const TEMPLATE_LOCK_KEY = 7_302_114_553;
/**
 * The template's marker: the schema it is at (version and migration-set fingerprint).
 * COMMENT takes no bind parameters, so both must be what TenantSchema promises.
 */
export function templateMarker({ version, set }: TenantSchema): string {
  if (!/^\d+$/.test(version)) throw new Error(`Unexpected tenant migration version ${version}`);
  if (!/^[0-9a-f]{16}$/.test(set)) throw new Error(`Unexpected tenant migration set ${set}`);
  return `tenant-template version=${version} set=${set}`;
}

/** What a template's marker says; markers from before set fingerprints have no `set`. */
type MarkedSchema = { version: string; set?: string };

/**
 * The template's schema from its marker: undefined when there is no template, null when it
 * carries no marker we can read.
 */
async function templateSchema(
  admin: Knex,
  template: string,
  connection?: unknown,
): Promise<MarkedSchema | undefined | null> {
  const comment = await databaseComment(admin, template, connection);
  if (comment === undefined) return undefined;
  const match = /^tenant-template version=(\d+)(?: set=([0-9a-f]{16}))?$/.exec(comment ?? '');
  return match ? { version: match[1]!, set: match[2] } : null;
}

const sameSchema = (a: MarkedSchema | null | undefined, b: TenantSchema) =>
  a?.version === b.version && a.set === b.set;

/**
 * Makes sure the template exists and is at `latest`; creates or migrates it otherwise. Safe
 * to call from several processes at once. A template already at a *newer* version (a newer
 * release is rolling out) is left alone; this process's signups then create and migrate.
 */
export async function ensureTemplate(opts: {
  admin: Knex;
  serverUrl: string;
  template: string;
  latest: TenantSchema;
  migrationsDir?: string;
  logger: Logger;
}): Promise<void> {
  const { admin, serverUrl, template, latest, migrationsDir, logger } = opts;
  const currentOrNewer = (s: MarkedSchema | null | undefined) =>
    sameSchema(s, latest) || (s != null && s.version > latest.version);
  if (currentOrNewer(await templateSchema(admin, template))) return;
  await withAdvisoryLock(admin, TEMPLATE_LOCK_KEY, async () => {
    const schema = await templateSchema(admin, template);
    if (currentOrNewer(schema)) return; // another process refreshed it while we waited
    if (schema === undefined) {
      await admin.raw('CREATE DATABASE ??', [template]);
    } else {
      await admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS true', [template]);
    }
    let reached: string;
    try {
      reached = await migrateWithKnex(serverUrl, template, migrationsDir);
      // Frozen and hinted, every clone inherits rows that need no commit-log lookup and no
      // freezing later: a new tenant's first session reads its catalogs ~40% cheaper, and
      // autovacuum has nothing to freeze in a thousand clones.
      await withKnex(withDatabase(serverUrl, template), { pool: { min: 0, max: 1 } }, (db) =>
        db.raw('VACUUM (FREEZE)'),
      );
    } finally {
      // Not IS_TEMPLATE (superuser-only on some versions): the owner may clone it anyway.
      await admin.raw('ALTER DATABASE ?? WITH ALLOW_CONNECTIONS false', [template]);
      // End any straggler (our own just-closed migration session) so clones never meet it.
      await admin.raw(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
        [template],
      );
    }
    // knex's migrate.latest ran every migration of the set: the template is at `latest`.
    if (reached !== latest.version)
      throw new Error(`the template reached ${reached}, not ${latest.version}`);
    await admin.raw(`COMMENT ON DATABASE ?? IS '${templateMarker(latest)}'`, [template]);
    logger.info({ template, version: reached }, 'tenant template database refreshed');
  });
}

/**
 * Clones the template into `name`. Resolves false (the caller then creates and migrates)
 * when the template is missing or not exactly at `latest` (version and migration set).
 */
export async function cloneTemplate(
  admin: Knex,
  template: string,
  name: string,
  latest: TenantSchema,
): Promise<boolean> {
  // One connection for the lock, the version check and the CREATE: a clone that needed a
  // second one while holding the first could deadlock a pool full of clones. The check is a
  // statement of its own, after the lock: a statement's snapshot is taken when it starts, so
  // one that waited for a refresh inside it would still see the template's old version.
  return withAdvisoryLock(
    admin,
    TEMPLATE_LOCK_KEY,
    async (conn) => {
      if (!sameSchema(await templateSchema(admin, template, conn), latest)) return false;
      await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, template]).connection(conn);
      return true;
    },
    'shared',
  );
}
