import type { Knex } from '../db/knexFactory';
import { clipError } from './schoolRows';

/**
 * catalog.signup_tombstones: rolled-back signups whose Auth0 create may still land (see the
 * migration 20261201000000). Written by SchoolsRepository.releaseWithTombstone; checked and
 * purged here.
 *
 * Checks come often while a late create is likely and then thin out: the next one is due
 * after half the tombstone's age, at least 2 s and at most 30 s, so a user that lands is
 * gone within about half a minute, for about 35 Auth0 look-ups over a 15-minute horizon.
 */

export interface Tombstone {
  signupId: string;
  email: string;
  dbName: string;
  createdAt: Date;
  expiresAt: Date;
  checks: number;
}

interface TombstoneRow {
  signup_id: string;
  email: string;
  db_name: string;
  created_at: Date;
  expires_at: Date;
  checks: number;
}

export interface TombstonesRepository {
  /**
   * Takes up to `limit` tombstones that are due, and pushes their next check `leaseSeconds`
   * out, so two processes never check the same one at once and a process that dies while
   * checking leaves them to be taken again.
   */
  claimDue(limit: number, leaseSeconds: number): Promise<Tombstone[]>;
  /**
   * A check found (and deleted) every user of the signup: purges the tombstone once past its
   * horizon, otherwise schedules the next check. Returns true when purged.
   */
  checked(signupId: string): Promise<boolean>;
  /** A check could not run (Auth0 unreachable): kept, tried again in `retrySeconds`. */
  checkFailed(signupId: string, error: string, retrySeconds: number): Promise<void>;
  /** Tombstones still watched (for status and tests). */
  count(): Promise<number>;
}

const TABLE = 'catalog.signup_tombstones';

const toTombstone = (row: TombstoneRow): Tombstone => ({
  signupId: row.signup_id,
  email: row.email,
  dbName: row.db_name,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  checks: row.checks,
});

export function createTombstonesRepository(db: Knex): TombstonesRepository {
  return {
    async claimDue(limit, leaseSeconds) {
      const { rows } = await db.raw<{ rows: TombstoneRow[] }>(
        `UPDATE catalog.signup_tombstones t
            SET next_check_at = now() + make_interval(secs => ?)
          WHERE t.signup_id IN (
            SELECT signup_id FROM catalog.signup_tombstones
             WHERE next_check_at <= now()
             ORDER BY next_check_at
             LIMIT ? FOR UPDATE SKIP LOCKED)
         RETURNING t.signup_id, t.email, t.db_name, t.created_at, t.expires_at, t.checks`,
        [leaseSeconds, limit],
      );
      return rows.map(toTombstone);
    },
    async checked(signupId) {
      const purged = await db(TABLE)
        .where({ signup_id: signupId })
        .where('expires_at', '<=', db.fn.now())
        .delete();
      if (purged > 0) return true;
      await db.raw(
        `UPDATE catalog.signup_tombstones
            SET checks = checks + 1, last_error = NULL,
                next_check_at = now() + least(interval '30 seconds',
                                              greatest(interval '2 seconds', (now() - created_at) / 2))
          WHERE signup_id = ?`,
        [signupId],
      );
      return false;
    },
    async checkFailed(signupId, error, retrySeconds) {
      await db(TABLE)
        .where({ signup_id: signupId })
        .update({
          last_error: clipError(error),
          next_check_at: db.raw('now() + make_interval(secs => ?)', [retrySeconds]),
        });
    },
    async count() {
      const row = (await db(TABLE).count<{ n: string }[]>({ n: '*' }))[0];
      return Number(row?.n ?? 0);
    },
  };
}
