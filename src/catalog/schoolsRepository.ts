import type { Knex } from '../db/knexFactory';
import { pgConstraint, pgErrorCode } from '../db/knexFactory';
import { EmailTakenError, SchoolTakenError } from '../errors';

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

export interface SchoolsRepository {
  /** Claims the name and email (status `provisioning`); the unique indexes pick one winner. */
  reserve(input: {
    name: string;
    dbName: string;
    email: string;
    ownerKey: number;
  }): Promise<School>;
  attachAuth0User(id: string, auth0UserId: string): Promise<void>;
  markReady(id: string, migrationVersion: string): Promise<void>;
  /** Compensation could not finish: keep the row (and what it points to) for the reconciler. */
  markFailed(id: string, error: string): Promise<void>;
  /** Gives the name and email back (the signup left nothing else behind). */
  release(id: string): Promise<void>;
  findByDbName(dbName: string): Promise<School | undefined>;
  list(): Promise<School[]>;
}

export function createSchoolsRepository(db: Knex): SchoolsRepository {
  return {
    async reserve({ name, dbName, email, ownerKey }) {
      try {
        const [row] = (await db(TABLE)
          .insert({ name, db_name: dbName, email, status: 'provisioning', owner_key: ownerKey })
          .returning('*')) as SchoolRow[];
        return toSchool(row!);
      } catch (error) {
        if (pgErrorCode(error) === '23505') {
          if (pgConstraint(error) === 'schools_email_unique') throw new EmailTakenError();
          throw new SchoolTakenError();
        }
        throw error;
      }
    },
    async attachAuth0User(id, auth0UserId) {
      await db(TABLE).where({ id }).update({ auth0_user_id: auth0UserId, updated_at: db.fn.now() });
    },
    async markReady(id, migrationVersion) {
      await db(TABLE).where({ id }).update({
        status: 'ready',
        migration_version: migrationVersion,
        migrated_at: db.fn.now(),
        last_error: null,
        last_error_at: null,
        updated_at: db.fn.now(),
      });
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
