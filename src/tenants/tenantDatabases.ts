import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { assertTenantDbName, STAGING_PREFIX } from './dbName';

/**
 * CREATE/RENAME/DROP DATABASE for tenants, always on names that passed the naming rule and
 * always as quoted identifiers (knex's `??` binding).
 *
 * A tenant database is born under a staging name unique to its signup, tagged with an
 * ownership marker, migrated, and only then renamed to the school's name. So whatever a crash
 * leaves behind is recognisably ours (a staging name, or our marker), and a database someone
 * else created under the school's name is never adopted: the rename fails instead.
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

/** Tags a database as created by this signup (see reconcile.ts). */
export async function tagOwnership(admin: Knex, name: string, signupId: string): Promise<void> {
  await admin.raw(`COMMENT ON DATABASE ?? IS '${ownershipMarker(signupId)}'`, [name]);
}

/** Gives the staging database the school's name; fails if that name is taken meanwhile. */
export async function promoteDatabase(
  admin: Knex,
  staging: string,
  dbName: string,
  reserved: ReadonlySet<string>,
): Promise<void> {
  assertTenantDbName(dbName, reserved);
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.raw('ALTER DATABASE ?? RENAME TO ??', [staging, dbName]);
      return;
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === '42P04') throw new DatabaseAlreadyExistsError(dbName);
      // 55006: a just-closed migration connection's backend has not exited yet.
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
