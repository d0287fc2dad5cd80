import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { DatabaseNameUnavailableError } from '../errors';
import { OUTBOX_CHANNEL, userNewEvent, type UserNewEvent } from '../events/userNew';

/**
 * A signup's last step, in one statement: catalog.complete_signup(jsonb) (its migration,
 * 20261203000000_complete_signup_in_one_place.ts, holds the whole step). In one transaction
 * the row turns `ready` with its Auth0 user and version, the staging database takes the
 * school's name and ownership marker (on the catalog's own server; see `rename`), the user is recorded and the `user.new` event written
 * to the outbox: the event exists if and only if the tenant does. Throws
 * DatabaseNameUnavailableError if a database took the name meanwhile, and P0002 when the row
 * is no longer `provisioning` (a reconciler rolled the signup back).
 */

export interface SignupCompletion {
  migrationVersion: string;
  /** Fingerprint of the tenant migrations it was made with (TenantSchema). */
  migrationSet: string;
  user: { userId: string; email: string; connection: string; schoolName: string };
  /** The school's database name (checked against the naming rule). */
  dbName: string;
  /**
   * For a tenant on the catalog's own server, the rename this transaction does (from the
   * provisioner, names already checked); a tenant on another server was renamed there.
   */
  rename?: { staging: string; marker: string };
}

/** What catalog.complete_signup(jsonb) takes. */
interface CompleteSignup {
  schoolId: string;
  dbName: string;
  staging?: string;
  marker?: string;
  migrationVersion: string;
  migrationSet: string;
  userId: string;
  email: string;
  connection: string;
  event: UserNewEvent;
  /** NOTIFY channel, so the relays wake at once. */
  channel: string;
}

export async function completeSignup(
  db: Knex,
  id: string,
  { migrationVersion, migrationSet, user, dbName, rename }: SignupCompletion,
): Promise<UserNewEvent> {
  const event = userNewEvent({
    userId: user.userId,
    email: user.email,
    schoolName: user.schoolName,
    dbName,
  });
  const signup: CompleteSignup = {
    schoolId: id,
    dbName,
    ...rename,
    migrationVersion,
    migrationSet,
    userId: user.userId,
    email: user.email,
    connection: user.connection,
    event,
    channel: OUTBOX_CHANNEL,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await db.raw('SELECT catalog.complete_signup(?::jsonb)', [JSON.stringify(signup)]);
      return event;
    } catch (error) {
      const code = pgErrorCode(error);
      if (code === '42P04') throw new DatabaseNameUnavailableError();
      // 55006: the staging database still has a session (an autovacuum worker, a migration
      // connection still closing). Renaming waits for nobody, so we do.
      if (code !== '55006' || attempt >= 20) throw error;
      await sleep(25 * attempt);
    }
  }
}
