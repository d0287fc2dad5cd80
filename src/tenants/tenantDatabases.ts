import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { assertTenantDbName } from './dbName';

/**
 * CREATE/DROP DATABASE for tenants, always on a name that passed the naming rule and always
 * as a quoted identifier (knex's `??` binding).
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

/** Creates an empty database; a name that is already taken is never adopted. */
export async function createDatabase(
  admin: Knex,
  dbName: string,
  reserved: ReadonlySet<string>,
): Promise<void> {
  assertTenantDbName(dbName, reserved);
  try {
    await admin.raw('CREATE DATABASE ??', [dbName]);
  } catch (error) {
    if (pgErrorCode(error) === '42P04') throw new DatabaseAlreadyExistsError(dbName);
    throw error;
  }
}

/** Drops a tenant database, disconnecting any session still in it (PostgreSQL 13+). */
export async function dropDatabase(
  admin: Knex,
  dbName: string,
  reserved: ReadonlySet<string>,
): Promise<void> {
  assertTenantDbName(dbName, reserved);
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [dbName]);
}
