import type { Knex } from '../db/knexFactory';
import { pgConstraint, pgErrorCode } from '../db/knexFactory';
import { EmailTakenError, SchoolTakenError } from '../errors';
import { OUTBOX_CHANNEL, userNewEvent, type UserNewEvent } from '../events/userNew';

/** catalog.schools: the registry of tenants and the arbiter of who gets a name. */

export type SchoolStatus = 'provisioning' | 'ready' | 'failed';

export interface School {
  id: string;
  name: string;
  dbName: string;
  email: string;
  auth0UserId: string | null;
  status: SchoolStatus;
  ownerKey: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SchoolRow {
  id: string;
  name: string;
  db_name: string;
  email: string;
  auth0_user_id: string | null;
  status: SchoolStatus;
  owner_key: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

const TABLE = 'catalog.schools';

export function toSchool(row: SchoolRow): School {
  return {
    id: row.id,
    name: row.name,
    dbName: row.db_name,
    email: row.email,
    auth0UserId: row.auth0_user_id,
    status: row.status,
    ownerKey: row.owner_key,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface Reservation {
  school: School;
  /**
   * A database with the school's name already exists on the server (someone else's: ours
   * only ever get that name when their row is ready). Read in the same statement.
   */
  databaseTaken: boolean;
}

export interface SchoolsRepository {
  /** Claims the name and email (status `provisioning`); the unique indexes pick one winner. */
  reserve(input: {
    name: string;
    dbName: string;
    email: string;
    ownerKey: number;
  }): Promise<Reservation>;
  /**
   * Makes the school `ready` with its Auth0 user and, in the same transaction, records the
   * user in catalog.users and writes the `user.new` event to catalog.outbox: the event exists
   * if and only if the tenant does. Runs on `trx` when given (the transaction that also gives
   * the database its name). Returns the event.
   */
  markReadyWithEvent(
    id: string,
    migrationVersion: string,
    user: ReadyUser,
    trx?: Knex,
  ): Promise<UserNewEvent>;
  /** Compensation could not finish: keep the row (and what it points to) for the reconciler. */
  markFailed(id: string, error: string): Promise<void>;
  /** Gives the name and email back (the signup left nothing else behind). */
  release(id: string): Promise<void>;
  findByDbName(dbName: string): Promise<School | undefined>;
  list(): Promise<School[]>;
}

export interface ReadyUser {
  userId: string;
  email: string;
  connection: string;
  schoolName: string;
  dbName: string;
}

export function createSchoolsRepository(db: Knex): SchoolsRepository {
  return {
    async reserve({ name, dbName, email, ownerKey }) {
      try {
        const [row]: (SchoolRow & { database_taken: boolean })[] = await db(TABLE)
          .insert({ name, db_name: dbName, email, status: 'provisioning', owner_key: ownerKey })
          .returning([
            '*',
            db.raw('EXISTS (SELECT 1 FROM pg_database WHERE datname = db_name) AS database_taken'),
          ]);
        return { school: toSchool(row!), databaseTaken: row!.database_taken };
      } catch (error) {
        if (pgErrorCode(error) === '23505') {
          if (pgConstraint(error) === 'schools_email_unique') throw new EmailTakenError();
          throw new SchoolTakenError();
        }
        throw error;
      }
    },
    async markReadyWithEvent(id, migrationVersion, user, trx = db) {
      const event = userNewEvent({
        userId: user.userId,
        email: user.email,
        schoolName: user.schoolName,
        dbName: user.dbName,
      });
      // One statement: the row becomes ready, the user is recorded and the event written
      // together, or none of it happens. Only a row still `provisioning` qualifies (the
      // reconciler may have rolled the signup back meanwhile): then no event, ever.
      const { rows } = await trx.raw<{ rows: { id: string }[] }>(
        `WITH ready AS (
           UPDATE catalog.schools
              SET status = 'ready', auth0_user_id = ?, migration_version = ?, migrated_at = now(),
                  last_error = NULL, last_error_at = NULL, updated_at = now()
            WHERE id = ? AND status = 'provisioning'
           RETURNING id
         ), recorded AS (
           INSERT INTO catalog.users (user_id, email, connection, strategy, school_id)
           SELECT ?, ?, ?, 'auth0', id FROM ready
           ON CONFLICT (user_id) DO UPDATE
             SET email = EXCLUDED.email, connection = EXCLUDED.connection,
                 strategy = EXCLUDED.strategy, school_id = EXCLUDED.school_id, updated_at = now()
         ), event AS (
           INSERT INTO catalog.outbox (id, type, payload, created_at)
           SELECT ?, ?, ?::jsonb, ? FROM ready
           RETURNING id
         )
         SELECT event.id, pg_notify(?, event.id::text) FROM event`,
        [
          user.userId,
          migrationVersion,
          id,
          user.userId,
          user.email,
          user.connection,
          event.id,
          event.type,
          JSON.stringify(event),
          event.occurredAt,
          OUTBOX_CHANNEL,
        ],
      );
      if (rows.length !== 1) throw new Error(`school ${id} is no longer provisioning`);
      return event;
    },
    async markFailed(id, error) {
      await db(TABLE)
        .where({ id })
        .update({
          status: 'failed',
          last_error: error.slice(0, 1000),
          last_error_at: db.fn.now(),
          updated_at: db.fn.now(),
        });
    },
    async release(id) {
      await db(TABLE).where({ id }).delete();
    },
    async findByDbName(dbName) {
      const row = (await db(TABLE).where({ db_name: dbName }).first()) as SchoolRow | undefined;
      return row && toSchool(row);
    },
    async list() {
      const rows = (await db(TABLE).orderBy('created_at')) as SchoolRow[];
      return rows.map(toSchool);
    },
  };
}
