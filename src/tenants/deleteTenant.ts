import type { Auth0Client } from '../auth0/managementClient';
import type { Knex } from '../db/knexFactory';
import { NotFoundError } from '../errors';
import type { TenantProvisioner } from './provisioner';

/**
 * Removes a school completely: its database, its Auth0 user(s), then its catalog row — the
 * row last, so an interrupted delete can simply be run again. A database is only dropped if
 * it carries this school's ownership marker (or, with `force`, no marker at all).
 */
export async function deleteTenant(
  dbName: string,
  deps: { catalog: Knex; tenants: TenantProvisioner; auth0: Auth0Client },
  options: { force?: boolean } = {},
): Promise<{ droppedDatabase: boolean; deletedUsers: number }> {
  const { catalog, tenants, auth0 } = deps;
  const school = (await catalog('catalog.schools').where({ db_name: dbName }).first()) as
    { id: string; email: string; auth0_user_id: string | null } | undefined;
  if (!school) throw new NotFoundError(`No catalogued school has the database ${dbName}.`);

  let droppedDatabase = false;
  if (await tenants.exists(dbName)) {
    const owner = await tenants.ownerOf(dbName);
    if (owner !== school.id && !(owner === undefined && options.force)) {
      throw new Error(
        owner === undefined
          ? `${dbName} carries no ownership marker; re-run with --force if it is this school's`
          : `${dbName} belongs to another signup (${owner}); not touching it`,
      );
    }
    droppedDatabase =
      owner === school.id
        ? await tenants.dropIfOwned(dbName, school.id)
        : (await tenants.drop(dbName), true);
  }
  const users = (await auth0.findUsersByEmail(school.email)).filter(
    (u) => u.user_id === school.auth0_user_id || u.app_metadata?.signup_id === school.id,
  );
  for (const user of users) await auth0.deleteUser(user.user_id);
  await tenants.dropStaging(school.id);
  await catalog('catalog.schools').where({ id: school.id }).delete();
  return { droppedDatabase, deletedUsers: users.length };
}
