import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { withDatabase } from '../db/databaseUrl';
import { pgErrorCode, type Knex } from '../db/knexFactory';
import { assertTenantDbName, STAGING_PREFIX } from './dbName';
import { signupOfMarker, type Ownership } from './ownership';

/**
 * The databases on a tenant server, as this deployment sees them: looking up, renaming and
 * dropping them, always on names that passed the naming rule and always as quoted
 * identifiers (knex's `??` binding).
 *
 * A tenant database is born under a staging name made of its signup's id, migrated (or
 * cloned), and only then renamed to the school's name and given an ownership marker, by the
 * catalog statement that marks the school ready (the signup's final step; ownership.ts). So
 * whatever a crash leaves behind is recognisably ours, and a database someone else created
 * under the school's name is never adopted: the rename fails instead.
 */

export async function databaseExists(admin: Knex, dbName: string): Promise<boolean> {
  const row: unknown = await admin('pg_database').where({ datname: dbName }).first('datname');
  return row !== undefined;
}

/**
 * A database's COMMENT, where this service keeps its markers (ownership, template version);
 * undefined when there is no such database. `connection`: a connection checked out of
 * `admin`'s pool (withConnection) to run on, e.g. one holding a session lock.
 */
export async function databaseComment(
  admin: Knex,
  dbName: string,
  connection?: unknown,
): Promise<string | null | undefined> {
  const query = admin('pg_database')
    .where({ datname: dbName })
    .first(admin.raw("shobj_description(oid, 'pg_database') AS comment"));
  if (connection) void query.connection(connection);
  const row = (await query) as { comment: string | null } | undefined;
  return row ? row.comment : undefined;
}

/** The signup id in a database's ownership marker, if it carries one. */
export async function databaseOwner(admin: Knex, dbName: string): Promise<string | undefined> {
  return signupOfMarker(await databaseComment(admin, dbName));
}

/** LIKE prefix of this deployment's staging-prefixed names (staging and spare databases). */
const stagingLike = (ownership: Ownership) =>
  `${STAGING_PREFIX.replace(/_/g, '\\_')}${ownership.tag}\\_`;

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
    [`${stagingLike(ownership)}%`, `tenant-signup:%:${ownership.tag}`],
  );
  return rows.flatMap(({ datname, comment }) => {
    const ofStaging = ownership.signupOfStaging(datname);
    const signupId =
      ofStaging ?? (comment?.endsWith(`:${ownership.tag}`) ? signupOfMarker(comment) : undefined);
    return signupId ? [{ dbName: datname, signupId, staging: ofStaging !== undefined }] : [];
  });
}

/**
 * This deployment's spare databases (ownership.ts), each with the owner key of the server
 * that made it.
 */
export async function ownSpares(
  admin: Knex,
  ownership: Ownership,
): Promise<{ dbName: string; ownerKey: number }[]> {
  const names = (await admin('pg_database')
    .where('datname', 'like', `${stagingLike(ownership)}spare\\_%`)
    .pluck('datname')) as string[];
  return names.flatMap((dbName) => {
    const ownerKey = ownership.ownerOfSpare(dbName);
    return ownerKey === undefined ? [] : [{ dbName, ownerKey }];
  });
}

/**
 * Renames a staging or spare database. PostgreSQL refuses while anyone is connected (55006);
 * a spare is only handed out once its own warm-up session has left (sessionsGone), so the
 * caller treats a refusal as the rare case it is (an autovacuum worker) and clones instead.
 */
export async function renameDatabase(admin: Knex, from: string, to: string): Promise<void> {
  assertTenantDbName(from, new Set(), { allowStaging: true });
  assertTenantDbName(to, new Set(), { allowStaging: true });
  // Its commit need not wait for the disk: nothing is promised on it, and the signup's own
  // synchronous commit later flushes it with everything before it (WAL is ordered). One
  // message, one implicit transaction, for SET LOCAL to cover the rename.
  await admin.raw('SET LOCAL synchronous_commit = off; ALTER DATABASE ?? RENAME TO ??', [from, to]);
}

/**
 * Opens and closes one session in the database. A database's first session builds its
 * relation cache init file (pg_internal.init), which a clone does not inherit; that makes
 * the first session about 2 ms of CPU dearer, so the first fleet migration after a wave of
 * signups would pay it for every tenant. Done ahead, off any request's path.
 */
export async function warmDatabase(serverUrl: string, dbName: string): Promise<void> {
  assertTenantDbName(dbName, new Set(), { allowStaging: true });
  const client = new Client({
    connectionString: withDatabase(serverUrl, dbName),
    application_name: 'tenant-signup warm-up',
  });
  // A server going away mid-session reports through connect()/end(); an 'error' event
  // without a listener would take the whole process down.
  client.on('error', () => undefined);
  await client.connect();
  await client.end();
}

/**
 * Resolves once no session is left in the database (or after `ms`). A closed connection's
 * backend takes a moment to exit, and a rename meanwhile fails; a spare waits here, in the
 * background, rather than the signup that takes it.
 */
export async function sessionsGone(admin: Knex, dbName: string, ms = 2000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const row: unknown = await admin('pg_stat_activity').where({ datname: dbName }).first('pid');
    if (row === undefined) return;
    await sleep(2);
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

/** The server's databases as the reconciler and school removal use them (see the functions above). */
export interface ServerDatabases {
  /** Database names no school may get (system databases, the catalog, the template). */
  readonly reservedNames: ReadonlySet<string>;
  readonly ownership: Ownership;
  /** True when a database with this name exists (ours or not). */
  exists(dbName: string): Promise<boolean>;
  /** The signup id that created `dbName`, from its marker. */
  ownerOf(dbName: string): Promise<string | undefined>;
  /** Drops `dbName` only if it carries this signup's ownership marker; true if dropped. */
  dropIfOwned(dbName: string, signupId: string): Promise<boolean>;
  /** Drops the signup's staging database if it exists. */
  dropStaging(signupId: string): Promise<void>;
  /**
   * Drops a database with no ownership check, for callers that established it is theirs
   * to drop: an unmarked tenant under an operator's --force, a dead server's spare.
   */
  drop(dbName: string): Promise<void>;
  /**
   * Renames a staging database to its school's name and gives it its ownership marker, in
   * one transaction: what the catalog's final statement does for a tenant on the catalog's
   * own server, done beforehand on any other. 42P04 when a database has that name.
   */
  promote(rename: { staging: string; dbName: string; marker: string }): Promise<void>;
  /**
   * Makes a database read-only for new sessions and ends the sessions it has (on), or
   * writable again (off): a tenant being copied elsewhere must not change meanwhile.
   */
  setReadOnly(dbName: string, on: boolean): Promise<void>;
  /** This deployment's staging and marked databases, with their signups. */
  ownDatabases(): Promise<{ dbName: string; signupId: string; staging: boolean }[]>;
  /** This deployment's spare databases, with the owner key of the server that made each. */
  ownSpares(): Promise<{ dbName: string; ownerKey: number }[]>;
}

export function createServerDatabases(
  admin: Knex,
  ownership: Ownership,
  reservedNames: ReadonlySet<string>,
): ServerDatabases {
  const drop = (dbName: string) => dropDatabase(admin, dbName, reservedNames);
  return {
    reservedNames,
    ownership,
    exists: (dbName) => databaseExists(admin, dbName),
    ownerOf: (dbName) => databaseOwner(admin, dbName),
    async dropIfOwned(dbName, signupId) {
      if ((await databaseOwner(admin, dbName)) !== signupId) return false;
      await drop(dbName);
      return true;
    },
    dropStaging: (signupId) => drop(ownership.stagingName(signupId)),
    drop,
    async promote({ staging, dbName, marker }) {
      assertTenantDbName(staging, reservedNames, { allowStaging: true });
      assertTenantDbName(dbName, reservedNames);
      if (signupOfMarker(marker) === undefined) throw new Error('not an ownership marker');
      for (let attempt = 1; ; attempt++) {
        try {
          // COMMENT takes no bind parameters: the marker was just checked to be one of ours.
          await admin.transaction(async (trx) => {
            await trx.raw('ALTER DATABASE ?? RENAME TO ??', [staging, dbName]);
            await trx.raw(`COMMENT ON DATABASE ?? IS '${marker}'`, [dbName]);
          });
          return;
        } catch (error) {
          // 55006: a session is still leaving the staging database (see completeSignup).
          if (pgErrorCode(error) !== '55006' || attempt >= 20) throw error;
          await sleep(25 * attempt);
        }
      }
    },
    async setReadOnly(dbName, on) {
      assertTenantDbName(dbName, reservedNames);
      if (!on) {
        await admin.raw('ALTER DATABASE ?? RESET default_transaction_read_only', [dbName]);
        return;
      }
      await admin.raw('ALTER DATABASE ?? SET default_transaction_read_only = on', [dbName]);
      await admin.raw(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
        [dbName],
      );
    },
    ownDatabases: () => ownDatabases(admin, ownership),
    ownSpares: () => ownSpares(admin, ownership),
  };
}
