import type { Auth0Client } from '../auth0/managementClient';
import type { School, SchoolsRepository } from '../catalog/schoolsRepository';
import { NotFoundError } from '../errors';
import type { TenantServers } from '../tenants/servers/tenantServers';

/**
 * Removing a school and everything it has, the one way both doors do it: an operator's
 * `tenants delete`, and the reconciler rolling back a signup nobody will finish.
 *
 * 1. Its Auth0 users: by id, or by email + app_metadata.signup_id (a create whose answer was
 *    lost left no id in the row).
 * 2. Its staging database, and its tenant database if that carries this school's marker,
 *    on the server the catalog says it lives on.
 * 3. Its catalog row, last, so an interrupted removal can simply be run again. A rolled-back
 *    signup leaves a tombstone instead (its create may still land in Auth0).
 */

export interface RemoveSchoolDeps {
  schools: SchoolsRepository;
  auth0: Auth0Client;
  servers: TenantServers;
}

export interface RemoveSchoolOptions {
  /**
   * A database under the school's name that is not provably its own: `skip` leaves it alone
   * (a signup that never got that far; someone else's database); `fail` refuses before
   * anything is removed, so an operator learns of it.
   */
  foreignDatabase: 'skip' | 'fail';
  /** With `fail`: a database with no ownership marker at all is dropped (--force). */
  dropUnmarked?: boolean;
  /** Leave a tombstone watched this long for an Auth0 create still in flight. */
  tombstoneSeconds?: number;
}

export interface RemovedSchool {
  droppedDatabase: boolean;
  deletedUsers: number;
}

export async function removeSchool(
  school: School,
  deps: RemoveSchoolDeps,
  options: RemoveSchoolOptions,
): Promise<RemovedSchool> {
  const { schools, auth0 } = deps;
  // Where the school lives (the catalog says; an unconfigured server fails here, by name).
  const { databases } = deps.servers.get(school.server);
  const owner = (await databases.exists(school.dbName))
    ? await databases.ownerOf(school.dbName)
    : null;
  const dropUnmarked = owner === undefined && options.dropUnmarked === true;
  if (
    options.foreignDatabase === 'fail' &&
    owner !== null &&
    owner !== school.id &&
    !dropUnmarked
  ) {
    throw new Error(
      owner === undefined
        ? `${school.dbName} carries no ownership marker; re-run with --force if it is this school's`
        : `${school.dbName} belongs to another signup (${owner}); not touching it`,
    );
  }

  const users = (await auth0.findUsersByEmail(school.email)).filter(
    (u) => u.user_id === school.auth0UserId || u.app_metadata?.signup_id === school.id,
  );
  for (const user of users) await auth0.deleteUser(user.user_id);
  await databases.dropStaging(school.id);
  let droppedDatabase = await databases.dropIfOwned(school.dbName, school.id);
  if (dropUnmarked) {
    await databases.drop(school.dbName);
    droppedDatabase = true;
  }
  await (options.tombstoneSeconds === undefined
    ? schools.release(school.id)
    : schools.releaseWithTombstone(school.id, options.tombstoneSeconds));
  return { droppedDatabase, deletedUsers: users.length };
}

/** `tenants delete <db_name>`: the catalogued school with that database, removed completely. */
export async function deleteSchool(
  dbName: string,
  deps: RemoveSchoolDeps,
  options: { force?: boolean } = {},
): Promise<RemovedSchool> {
  const school = await deps.schools.findByDbName(dbName);
  if (!school) throw new NotFoundError(`No catalogued school has the database ${dbName}.`);
  return removeSchool(school, deps, { foreignDatabase: 'fail', dropUnmarked: options.force });
}
