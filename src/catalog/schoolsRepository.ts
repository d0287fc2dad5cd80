import type { Knex } from '../db/knexFactory';
import { pgConstraint, pgErrorCode } from '../db/knexFactory';
import { EmailTakenError, SchoolTakenError } from '../errors';
import type { UserNewEvent } from '../events/userNew';
import { completeSignup, type SignupCompletion } from './completeSignup';
import { listenOn } from './listen';
import { OWNER_IS_GONE_SQL } from './ownerLock';
import { clipError, toSchool, type School, type SchoolRow } from './schoolRows';

/** catalog.schools: the registry of tenants and the arbiter of who gets a name. */

export type { School, SchoolStatus } from './schoolRows';

/** The channel of the school_changed trigger (migration school_change_notices). */
const SCHOOL_CHANGED_CHANNEL = 'school_changed';
export type { SignupCompletion } from './completeSignup';

const TABLE = 'catalog.schools';

export interface Reservation {
  school: School;
  /**
   * A database with the school's name already exists on the catalog's own server (someone
   * else's: ours only ever get that name when their row is ready). Read in the same
   * statement; a tenant placed on another server is checked there.
   */
  databaseTaken: boolean;
}

export interface SchoolsRepository {
  /**
   * Claims the name and email (status `provisioning`); the unique indexes pick one winner.
   * `id` is chosen by the caller, so it can count the signup as in flight before the row
   * exists (a row whose INSERT committed but whose answer was lost is still recognised).
   */
  reserve(input: {
    id: string;
    name: string;
    dbName: string;
    email: string;
    ownerKey: number;
    /** The server placement chose: every later step and the reconciler look there. */
    server: string;
  }): Promise<Reservation>;
  /**
   * The signup's last step, in one statement (completeSignup.ts). Returns the event.
   */
  completeSignup(id: string, completion: SignupCompletion): Promise<UserNewEvent>;
  /** Compensation could not finish: keep the row (and what it points to) for the reconciler. */
  markFailed(id: string, error: string): Promise<void>;
  /** Gives the name and email back (the signup left nothing else behind). */
  release(id: string): Promise<void>;
  /**
   * Gives the name and email back, leaving a tombstone (catalog/tombstonesRepository.ts) for
   * an Auth0 create of this signup that may still land: checked until `horizonSeconds` from
   * now. Row and tombstone change in one statement.
   */
  releaseWithTombstone(id: string, horizonSeconds: number): Promise<void>;
  /**
   * Signups nobody will finish: `failed` ones, and `provisioning` ones whose owner process is
   * gone, or is this process (`self.ownerKey`) but no longer has them in flight.
   */
  abandoned(self: { ownerKey: number; inFlight: readonly string[] } | undefined): Promise<School[]>;
  /** Every catalogued signup id (any status), lower-case. */
  ids(): Promise<Set<string>>;
  /** Which of these signup ids have a row (any status), lower-case. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  findByDbName(dbName: string): Promise<School | undefined>;
  /** The server a ready school's database is on; undefined when no ready school has it. */
  servingServer(dbName: string): Promise<string | undefined>;
  /**
   * Runs `onChange(dbName)` whenever a school's status or server changes or its row goes, in
   * any process (a trigger's NOTIFY; see migration school_change_notices). Resolves to a
   * function that stops listening; `onLost` says changes may have been missed.
   */
  onChange(
    onChange: (dbName: string) => void,
    onLost: (error: Error) => void,
  ): Promise<() => Promise<void>>;
  /** Every school, oldest first or by name. */
  list(orderBy?: 'createdAt' | 'name'): Promise<School[]>;
}

export function createSchoolsRepository(db: Knex, catalogUrl: string): SchoolsRepository {
  return {
    async reserve({ id, name, dbName, email, ownerKey, server }) {
      try {
        const [row]: (SchoolRow & { database_taken: boolean })[] = await db(TABLE)
          .insert({
            id,
            name,
            db_name: dbName,
            email,
            server,
            status: 'provisioning',
            owner_key: ownerKey,
          })
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
    completeSignup: (id, completion) => completeSignup(db, id, completion),
    async markFailed(id, error) {
      await db(TABLE)
        .where({ id })
        .update({
          status: 'failed',
          last_error: clipError(error),
          last_error_at: db.fn.now(),
          updated_at: db.fn.now(),
        });
    },
    async release(id) {
      await db(TABLE).where({ id }).delete();
    },
    async releaseWithTombstone(id, horizonSeconds) {
      await db.raw(
        `WITH gone AS (DELETE FROM catalog.schools WHERE id = ? RETURNING id, email, db_name)
         INSERT INTO catalog.signup_tombstones (signup_id, email, db_name, expires_at, next_check_at)
         SELECT id, email, db_name, now() + make_interval(secs => ?), now() + interval '2 seconds'
         FROM gone
         ON CONFLICT (signup_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [id, horizonSeconds],
      );
    },
    async abandoned(self) {
      const mine = self
        ? db.raw('(s.owner_key = ? AND NOT s.id = ANY(?::uuid[]))', [
            self.ownerKey,
            [...self.inFlight],
          ])
        : db.raw('false');
      const { rows } = await db.raw<{ rows: SchoolRow[] }>(
        `SELECT * FROM catalog.schools s
         WHERE s.status <> 'ready'
           AND (s.status = 'failed' OR s.owner_key IS NULL OR ?
                OR (${OWNER_IS_GONE_SQL} AND s.owner_key IS DISTINCT FROM ?))
         ORDER BY s.created_at`,
        // This process's own rows are judged by its in-flight list alone: while its owner
        // lock is being retaken (a database restart) its lock looks gone.
        [mine, self?.ownerKey ?? null],
      );
      return rows.map(toSchool);
    },
    async ids() {
      const ids = (await db(TABLE).pluck('id')) as string[];
      return new Set(ids.map((id) => id.toLowerCase()));
    },
    async existing(ids) {
      if (ids.length === 0) return new Set();
      const { rows } = await db.raw<{ rows: { id: string }[] }>(
        'SELECT id FROM catalog.schools WHERE id = ANY(?::uuid[])',
        [[...ids]],
      );
      return new Set(rows.map((r) => r.id.toLowerCase()));
    },
    async findByDbName(dbName) {
      const row = (await db(TABLE).where({ db_name: dbName }).first()) as SchoolRow | undefined;
      return row && toSchool(row);
    },
    async servingServer(dbName) {
      const row: { server: string } | undefined = await db(TABLE)
        .where({ db_name: dbName, status: 'ready' })
        .first('server');
      return row?.server;
    },
    onChange: (onChange, onLost) =>
      listenOn(
        catalogUrl,
        SCHOOL_CHANGED_CHANNEL,
        'tenant-signup school changes',
        (dbName) => dbName && onChange(dbName),
        onLost,
      ),
    async list(orderBy = 'createdAt') {
      const rows = (await db(TABLE).orderBy(
        orderBy === 'name' ? 'name' : 'created_at',
      )) as SchoolRow[];
      return rows.map(toSchool);
    },
  };
}
