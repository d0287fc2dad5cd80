import type { Auth0Client } from '../auth0/managementClient';
import type { SchoolsRepository } from '../catalog/schoolsRepository';
import type { Logger } from '../logger';

/**
 * The Auth0-side backstop to tombstones: users this deployment created recently (by
 * app_metadata.deployment and created_at) whose signup has no catalog row at all are
 * orphans, and are deleted. A user always gets its row before it exists (the reservation
 * comes first) and loses it only after it is gone, so "no row" means nobody will ever finish
 * it; signups still in flight, ready schools and other deployments' users are never touched.
 *
 * Auth0's user search is eventually consistent, so this sweep is never the first line: a
 * user created a moment ago may be missing from the results (tombstones cover that window
 * with users-by-email, which is immediate). It costs one Management API call per 100 recent
 * users of this deployment, at most 10 per sweep (Auth0 serves only the first 1000 results
 * of a search; the next sweep continues from the newest one seen).
 */

export interface Auth0SweepDeps {
  auth0: Auth0Client;
  schools: SchoolsRepository;
  logger: Logger;
  deployment: string;
}

export interface Auth0SweepSummary {
  seen: number;
  /** db_name from app_metadata of each orphan deleted. */
  deleted: string[];
  /** created_at of the newest user seen: where the next sweep may start. */
  newest: string | undefined;
}

const PER_PAGE = 100;
const MAX_PAGES = 10;

export async function sweepAuth0Users(
  deps: Auth0SweepDeps,
  since: Date,
): Promise<Auth0SweepSummary> {
  const { auth0, schools, logger, deployment } = deps;
  if (!/^[0-9a-f]{8}$/.test(deployment)) throw new Error('A deployment tag is 8 hex characters');
  const q = `app_metadata.deployment:"${deployment}" AND created_at:[${since.toISOString()} TO *]`;
  const summary: Auth0SweepSummary = { seen: 0, deleted: [], newest: undefined };
  for (let page = 0; page < MAX_PAGES; page++) {
    const users = await auth0.searchUsers({ q, page, perPage: PER_PAGE, sort: 'created_at:1' });
    if (users.length === 0) break;
    summary.seen += users.length;
    summary.newest = users.at(-1)?.created_at ?? summary.newest;
    const ids = await schools.existing(
      users.map((u) => u.app_metadata?.signup_id).filter((id): id is string => isUuid(id)),
    );
    for (const user of users) {
      const signupId = user.app_metadata?.signup_id;
      if (!isUuid(signupId) || ids.has(signupId.toLowerCase())) continue;
      await auth0.deleteUser(user.user_id);
      const dbName =
        typeof user.app_metadata?.db_name === 'string' ? user.app_metadata.db_name : '';
      summary.deleted.push(dbName);
      logger.warn({ dbName }, 'Auth0 sweep deleted a user whose signup has no catalog row');
    }
    if (users.length < PER_PAGE) break;
  }
  return summary;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
