import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { assertTenantDbName, STAGING_PREFIX } from './dbName';
import { signupOfMarker, type Ownership } from './ownership';

/**
 * CREATE/RENAME/DROP DATABASE for tenants, always on names that passed the naming rule and
 * always as quoted identifiers (knex's `??` binding).
 *
 * A tenant database is born under a staging name made of its signup's id, migrated (or
 * cloned), and only then renamed to the school's name and given an ownership marker, in the
 * catalog transaction that marks the school ready (ownership.ts). So whatever a crash leaves
 * behind is recognisably ours, and a database someone else created under the school's name
 * is never adopted: the rename fails instead.
 */

export class DatabaseAlreadyExistsError extends Error {
  override name = 'DatabaseAlreadyExistsError';
  constructor(readonly dbName: string) {
    super(`Database ${dbName} already exists`);
  }
}

export async function databaseExists(admin: Knex, dbName: string): Promise<boolean> {
  const row: unknown = await admin('pg_database').where({ datname: dbName }).first('datname');
  return row !== undefined;
}

/**
 * A database's COMMENT, where this service keeps its markers (ownership, template version);
 * undefined when there is no such database.
 */
export async function databaseComment(
  admin: Knex,
  dbName: string,
): Promise<string | null | undefined> {
  const row: { comment: string | null } | undefined = await admin('pg_database')
    .where({ datname: dbName })
    .first(admin.raw("shobj_description(oid, 'pg_database') AS comment"));
  return row ? row.comment : undefined;
}

/** The signup id in a database's ownership marker, if it carries one. */
export async function databaseOwner(admin: Knex, dbName: string): Promise<string | undefined> {
  return signupOfMarker(await databaseComment(admin, dbName));
}

/**
 * Databases this deployment made (its staging names, its tagged markers), with the signup
 * each belongs to: what the reconciler may drop once no catalog row points at them.
 */
export async function ownDatabases(
  admin: Knex,
  ownership: Ownership,
): Promise<{ dbName: string; signupId: string; staging: boolean }[]> {
  const { rows } = await admin.raw<{ rows: { datname: string; comment: string | null }[] }>(
    `SELECT datname, shobj_description(oid, 'pg_database') AS comment
       FROM pg_database
      WHERE datname LIKE ? OR shobj_description(oid, 'pg_database') LIKE ?`,
    [
      `${STAGING_PREFIX.replace(/_/g, '\\_')}${ownership.tag}\\_%`,
      `tenant-signup:%:${ownership.tag}`,
    ],
  );
  return rows.flatMap(({ datname, comment }) => {
    const ofStaging = ownership.signupOfStaging(datname);
    const signupId =
      ofStaging ?? (comment?.endsWith(`:${ownership.tag}`) ? signupOfMarker(comment) : undefined);
    return signupId ? [{ dbName: datname, signupId, staging: ofStaging !== undefined }] : [];
  });
}

/**
 * Gives the staging database the school's name and its ownership marker, in one catalog
 * transaction that `commitWith` adds to (the catalog's "ready" mark): the database has the
 * school's name if and only if that commits. Fails with DatabaseAlreadyExistsError if the name
 * was taken meanwhile. Renaming needs the staging database to have no sessions; one that is
 * still closing (a just-finished migration, an autovacuum worker) is waited out.
 */
export async function promoteDatabase(
  catalog: Knex,
  { staging, dbName, marker }: { staging: string; dbName: string; marker: string },
  reserved: ReadonlySet<string>,
  commitWith: (trx: Knex.Transaction) => Promise<void>,
): Promise<void> {
  assertTenantDbName(dbName, reserved);
  for (let attempt = 1; ; attempt++) {
    try {
      await catalog.transaction(async (trx) => {
        // First, so that a busy staging database costs a retry of nothing else.
        await trx.raw('ALTER DATABASE ?? RENAME TO ??', [staging, dbName]);
        // COMMENT takes no bind parameters; the marker is hex, dashes and colons only.
        await trx.raw(`COMMENT ON DATABASE ?? IS '${marker}'`, [dbName]);
        await commitWith(trx);
      });
      return;
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === '42P04') throw new DatabaseAlreadyExistsError(dbName);
      if (code !== '55006' || attempt >= 20) throw error;
      await sleep(25 * attempt);
    }
  }
}

/** Drops a tenant or staging database, disconnecting any session still in it (PG 13+). */
export async function dropDatabase(
  admin: Knex,
  dbName: string,
  reserved: ReadonlySet<string>,
): Promise<void> {
  assertTenantDbName(dbName, reserved, { allowStaging: true });
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [dbName]);
}
