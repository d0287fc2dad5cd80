import type { Auth0Client } from '../auth0/managementClient';
import type { SchoolsRepository } from '../catalog/schoolsRepository';
import type { Logger } from '../logger';
import type { TenantProvisioner } from '../tenants/provisioner';
import { Compensations } from './saga';
import type { SignupInput } from './signupRequest';

export interface SignupDeps {
  schools: SchoolsRepository;
  auth0: Auth0Client;
  tenants: TenantProvisioner;
  logger: Logger;
}

export interface SignupResult {
  userId: string;
  email: string;
  school: { name: string; dbName: string };
}

/**
 * The signup saga. Every request ends with a complete tenant (Auth0 user, database at the
 * latest migration, catalog row `ready`) or, after compensation, with nothing left behind.
 */
export async function signUp(input: SignupInput, deps: SignupDeps): Promise<SignupResult> {
  const { schools, auth0, tenants } = deps;
  const logger = deps.logger.child({ dbName: input.dbName });

  // 1. Claim the name and email before any external call: the catalog's unique indexes pick
  //    one winner per race (409 school_taken / email_taken for the rest).
  const school = await schools.reserve({
    name: input.schoolName,
    dbName: input.dbName,
    email: input.email,
  });
  const undo = new Compensations(logger);
  undo.add('release reservation', () => schools.release(school.id));

  try {
    // 2. The Auth0 user, pointing at the school's database.
    const user = await auth0.createUser({
      email: input.email,
      password: input.password,
      dbName: school.dbName,
      signupId: school.id,
    });
    undo.add('delete Auth0 user', () => auth0.deleteUser(user.user_id));
    await schools.attachAuth0User(school.id, user.user_id);

    // 3. The school's own database (never one that already existed), at the latest schema.
    await tenants.createDatabase(school.dbName);
    undo.add('drop tenant database', () => tenants.dropDatabase(school.dbName));
    await tenants.migrate(school.dbName);

    // 4. Only now is the tenant visible as complete.
    await schools.markReady(school.id);
    logger.info({ userId: user.user_id }, 'school signed up');
    return {
      userId: user.user_id,
      email: user.email,
      school: { name: school.name, dbName: school.dbName },
    };
  } catch (error) {
    const clean = await undo.run();
    if (!clean) await schools.markFailed(school.id).catch(() => undefined);
    throw error;
  }
}
