import type { Auth0Client } from '../auth0/managementClient';
import type { TombstonesRepository } from '../catalog/tombstonesRepository';
import type { Logger } from '../logger';

/**
 * Re-checks the tombstones of rolled-back signups that are due (tombstonesRepository.ts):
 * any Auth0 user carrying such a signup's id landed after the rollback (a create still in
 * flight when its sender died) and is deleted. Safe to run from several processes at once:
 * each tombstone is claimed by one.
 */

export interface TombstoneCheckDeps {
  tombstones: TombstonesRepository;
  auth0: Auth0Client;
  logger: Logger;
}

export interface TombstoneCheckSummary {
  checked: number;
  /** db names of the signups whose late users were deleted. */
  lateUsersDeleted: string[];
  purged: number;
  failed: number;
}

/** At most this many per pass: each costs one Auth0 look-up (plus a delete per late user). */
const BATCH = 20;
/** A claimed tombstone is left alone this long by other processes. */
const LEASE_SECONDS = 120;
/** After a failed check (Auth0 unreachable), the next try. */
const RETRY_SECONDS = 30;

export async function checkTombstones(deps: TombstoneCheckDeps): Promise<TombstoneCheckSummary> {
  const { tombstones, auth0, logger } = deps;
  const summary: TombstoneCheckSummary = { checked: 0, lateUsersDeleted: [], purged: 0, failed: 0 };
  for (const tombstone of await tombstones.claimDue(BATCH, LEASE_SECONDS)) {
    try {
      const late = (await auth0.findUsersByEmail(tombstone.email)).filter(
        (u) => u.app_metadata?.signup_id === tombstone.signupId,
      );
      for (const user of late) await auth0.deleteUser(user.user_id);
      if (late.length > 0) {
        summary.lateUsersDeleted.push(tombstone.dbName);
        logger.warn(
          { dbName: tombstone.dbName, auth0Users: late.length },
          'deleted an Auth0 user that landed after its signup was rolled back',
        );
      }
      summary.checked++;
      if (await tombstones.checked(tombstone.signupId)) summary.purged++;
    } catch (error) {
      summary.failed++;
      const message = error instanceof Error ? error.message : String(error);
      logger.warn({ dbName: tombstone.dbName, err: error }, 'tombstone check failed; will retry');
      await tombstones
        .checkFailed(tombstone.signupId, message, RETRY_SECONDS)
        .catch(() => undefined); // its lease expires and it is taken again
    }
  }
  return summary;
}
