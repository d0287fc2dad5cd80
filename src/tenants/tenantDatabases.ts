import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { assertTenantDbName, STAGING_PREFIX } from './dbName';

/**
 * CREATE/RENAME/DROP DATABASE for tenants, always on names that passed the naming rule and
 * always as quoted identifiers (knex's `??` binding).
 *
 * A tenant database is born under a staging name made of its signup's id, migrated (or
 * cloned), and only then renamed to the school's name and given an ownership marker, in the
 * catalog transaction that marks the school ready. So whatever a crash leaves behind is
 * recognisably ours (a staging name, or our marker), and a database someone else created
 * under the school's name is never adopted: the rename fails instead.
 */

export class DatabaseAlreadyExistsError extends Error {
  override name = 'DatabaseAlreadyExistsError';
  constructor(readonly dbName: string) {
    super(`Database ${dbName} already exists`);
  }
}

export function stagingDbName(signupId: string): string {
  return `${STAGING_PREFIX}${ownershipMarker(signupId).slice('tenant-signup:'.length).replace(/-/g, '')}`;
}

/** The signup a staging database belongs to (its name is the signup id), if it is one. */
export function signupOfStaging(dbName: string): string | undefined {
  const hex = new RegExp(`^${STAGING_PREFIX}([0-9a-f]{32})$`).exec(dbName)?.[1];
  if (!hex) return undefined;
  return [0, 8, 12, 16, 20].map((at, i, cuts) => hex.slice(at, cuts[i + 1])).join('-');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** COMMENT takes no bind parameters, so the marker is built only from a validated UUID. */
export function ownershipMarker(signupId: string): string {
  if (!UUID.test(signupId)) throw new Error('A signup id must be a UUID');
  return `tenant-signup:${signupId}`;
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
  const comment = await databaseComment(admin, dbName);
  return /^tenant-signup:([0-9a-f-]{36})$/.exec(comment ?? '')?.[1];
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
  signupId: string,
  dbName: string,
  reserved: ReadonlySet<string>,
  commitWith: (trx: Knex.Transaction) => Promise<void>,
): Promise<void> {
  assertTenantDbName(dbName, reserved);
  const staging = stagingDbName(signupId);
  for (let attempt = 1; ; attempt++) {
    try {
      await catalog.transaction(async (trx) => {
        // First, so that a busy staging database costs a retry of nothing else.
        await trx.raw('ALTER DATABASE ?? RENAME TO ??', [staging, dbName]);
        await trx.raw(`COMMENT ON DATABASE ?? IS '${ownershipMarker(signupId)}'`, [dbName]);
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
