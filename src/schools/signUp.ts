import { randomUUID } from 'node:crypto';
import type { Place } from '../auth0/managementBudget';
import type { Auth0Client } from '../auth0/managementClient';
import type { SchoolsRepository } from '../catalog/schoolsRepository';
import { isDatabaseUnavailable } from '../db/unavailable';
import { DatabaseNameUnavailableError, ValidationError } from '../errors';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locale';
import type { Logger } from '../logger';
import { toDbName } from '../tenants/dbName';
import type { TenantServer } from '../tenants/servers/tenantServer';
import type { TenantServers } from '../tenants/servers/tenantServers';
import { UndoStack } from '../undoStack';
import { createPreSignupRules, type PreSignupRules } from './preSignupRules/runRules';
import { clientError, describe } from './signupFailure';
import type { SignupRequest } from './signupRequest';

export interface SignupDeps {
  schools: SchoolsRepository;
  auth0: Auth0Client;
  servers: TenantServers;
  /** Chooses the server a new tenant goes to (placement.ts). */
  place: () => Promise<TenantServer>;
  logger: Logger;
  /** This process's owner-lock key: lets the reconciler tell in-flight signups from abandoned ones. */
  ownerKey: number;
  /** This deployment's tag, stored on the Auth0 user (see the Auth0 sweep). */
  deployment: string;
  /** Pre-signup rules (built-in from config, then preSignupRules/rules.ts); none if absent. */
  rules?: PreSignupRules;
  /** Auth0 connection users are created in (recorded with the user in the catalog). */
  connection?: string;
  /**
   * Ids of this process's signups in flight: a reservation of ours missing from it is one
   * nobody will finish (its undo failed), which our own reconcile then rolls back.
   */
  inFlight: Set<string>;
  /** How long a rolled-back signup's tombstone is watched (RECONCILE_HORIZON_SECONDS). */
  horizonSeconds: number;
  /** Called when an undo failed and left work for the reconciler, so it can come sooner. */
  onLeftForReconcile?: () => void;
}

export interface SignupContext {
  /** Language of user-facing messages (from Accept-Language). */
  locale?: Locale;
}

export interface SignupResult {
  userId: string;
  email: string;
  school: { name: string; dbName: string };
}

const NO_RULES: PreSignupRules = createPreSignupRules([], undefined);

/** A validated signup, with the database name its school gets. */
interface Signup {
  email: string;
  password: string;
  schoolName: string;
  dbName: string;
}

/**
 * The signup saga. Every request ends with a complete tenant (Auth0 user, database at the
 * latest migration, catalog row `ready`) or, after compensation, with nothing left behind.
 * If this process dies mid-way, the reconciler finishes the compensation (reconcile.ts).
 */
export async function signUp(
  request: Pick<SignupRequest, 'email' | 'password' | 'schoolName'>,
  deps: SignupDeps,
  context: SignupContext = {},
): Promise<SignupResult> {
  // 0. The school's database name, by the naming rule (400 when there is none), and the
  //    pre-signup rules, before anything is reserved or created: a denial (403) or a rule's
  //    invalid output (500) leaves nothing anywhere.
  const { email, password, schoolName } = request;
  const input: Signup = { email, password, schoolName, dbName: databaseNameFor(schoolName, deps) };
  const logger = deps.logger.child({ dbName: input.dbName });
  const metadata = await (deps.rules ?? NO_RULES).run({
    email: input.email,
    schoolName: input.schoolName,
    dbName: input.dbName,
    locale: context.locale ?? DEFAULT_LOCALE,
  });

  // 0b. A place in line for Auth0, whose Management API budget this process shares with
  //     every other call (auth0/managementBudget.ts): when this signup's turn would come
  //     after AUTH0_RETRY_BUDGET_MS, 503 auth0_unavailable now, with nothing reserved.
  const place = await deps.auth0.admitSignup();

  // Counted in flight before its row exists: see SignupDeps.inFlight.
  const id = randomUUID();
  deps.inFlight.add(id);
  try {
    // A server that stopped answering since placement last asked (its health answer is
    // cached for seconds) is found before Auth0 is called: place the school again, once per
    // other server, rather than fail a signup another server could take.
    for (let attempt = 1; ; attempt++) {
      try {
        return await runSaga(id, input, metadata, deps, logger, place);
      } catch (error) {
        if (!(error instanceof ServerAway)) throw error;
        if (attempt >= deps.servers.all().length) throw error.cause;
        logger.warn({ server: error.server }, 'tenant server away; placing the school again');
      }
    }
  } catch (error) {
    throw clientError(error);
  } finally {
    place.release();
    deps.inFlight.delete(id);
  }
}

/** Steps 1–4, each undo registered right after the step it undoes. */
async function runSaga(
  id: string,
  input: Signup,
  metadata: Awaited<ReturnType<PreSignupRules['run']>>,
  deps: SignupDeps,
  logger: Logger,
  place: Place,
): Promise<SignupResult> {
  const { schools, auth0, ownerKey } = deps;
  // 1. Choose the tenant's server (503 when none can take it), then claim the name and email
  //    there before any external call: the catalog's unique indexes pick one winner per race
  //    (409 school_taken / email_taken for the others).
  const server = await deps.place();
  const { provisioner, databases } = server;
  const { school, databaseTaken } = await schools.reserve({
    id,
    name: input.schoolName,
    dbName: input.dbName,
    email: input.email,
    ownerKey,
    server: server.name,
  });
  // Set when an attempt's outcome is unknown (a timeout, a cut connection, a 5xx): Auth0 may
  // still store that user after we give up, so the released name leaves a tombstone.
  let createMayLand = false;
  const undo = new UndoStack(logger, {
    label: 'signup compensation',
    onFailure: 'stop',
    logDone: true,
  });
  undo.add('release reservation', () =>
    createMayLand
      ? schools.releaseWithTombstone(school.id, deps.horizonSeconds)
      : schools.release(school.id),
  );

  try {
    // 2. A database someone else made under this name is never adopted; fail before Auth0.
    const taken = server.local
      ? databaseTaken
      : await databases.exists(school.dbName).catch((error: unknown) => {
          throw isDatabaseUnavailable(error) ? new ServerAway(server.name, error) : error;
        });
    if (taken) throw new DatabaseNameUnavailableError();

    // 3. At the same time: the Auth0 user, pointing at the school's database (its
    //    app_metadata.signup_id lets a retry after a lost response, and the reconciler,
    //    recognise it), and the database under a staging name made of the signup id. Both are
    //    awaited even when one fails, so no undo runs while the other is still creating.
    undo.add('drop staging database', () => databases.dropStaging(school.id));
    const [created, prepared] = await Promise.allSettled([
      auth0.createUser({
        email: input.email,
        password: input.password,
        dbName: school.dbName,
        signupId: school.id,
        deployment: deps.deployment,
        userMetadata: metadata.userMetadata,
        appMetadata: metadata.appMetadata,
        onOutcomeUnknown: () => (createMayLand = true),
        place,
      }),
      provisioner.prepare(school.id),
    ]);
    if (created.status === 'fulfilled') {
      const userId = created.value.user_id;
      undo.add('delete Auth0 user', () => auth0.deleteUser(userId));
    }
    // Auth0's answer first: a rejected password or a taken email tells the user more.
    if (created.status === 'rejected') throw created.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    const user = created.value;

    // 4. One statement makes the tenant whole (catalog/completeSignup.ts, one
    //    transaction): the row turns ready, the database takes the school's name and this
    //    signup's marker, the user is recorded and the user.new event written to the outbox.
    //    All of it or none; once sent, PostgreSQL finishes it even if this process dies. (If
    //    its answer is lost, the undo below drops the database only if it carries this
    //    signup's marker, i.e. only if the statement committed.)
    undo.add('drop tenant database', async () => {
      await databases.dropIfOwned(school.dbName, school.id);
    });
    const rename = provisioner.finalRename(school.id, school.dbName);
    // Another server's rename cannot join the catalog's transaction: it goes first, and its
    // marker (this signup's) lets the undo above, or the reconciler, recognise it.
    if (!server.local) await databases.promote(rename);
    await schools.completeSignup(school.id, {
      migrationVersion: prepared.value.version,
      migrationSet: provisioner.schema.set,
      user: {
        userId: user.user_id,
        email: user.email,
        connection: deps.connection ?? 'Username-Password-Authentication',
        schoolName: school.name,
      },
      dbName: school.dbName,
      rename: server.local ? rename : undefined,
    });
    if (!prepared.value.warm) provisioner.warmLater(school.dbName);
    logger.info({ userId: user.user_id }, 'school signed up');
    return {
      userId: user.user_id,
      email: user.email,
      school: { name: school.name, dbName: school.dbName },
    };
  } catch (error) {
    // Its server may have gone away: the next signup is placed on a fresh answer.
    if (error instanceof ServerAway || isDatabaseUnavailable(error)) server.recheck();
    const clean = await undo.run();
    if (!clean) {
      // Left for the reconciler, which retries failed rows (and, if even this write fails,
      // finds the row missing from inFlight); the client still gets the cause.
      await schools.markFailed(school.id, describe(error)).catch(() => undefined);
      deps.onLeftForReconcile?.();
    }
    throw error;
  }
}

/** The chosen server did not answer before anything but the reservation was made. */
class ServerAway extends Error {
  constructor(
    readonly server: string,
    override readonly cause: unknown,
  ) {
    super(`tenant server ${server} is away`);
  }
}

function databaseNameFor(schoolName: string, deps: SignupDeps): string {
  const name = toDbName(schoolName, deps.servers.reservedNames);
  if (name.ok) return name.dbName;
  throw new ValidationError({
    schoolName: [
      name.reason === 'empty'
        ? 'School name must contain letters or digits.'
        : 'This school name is reserved. Please choose another name.',
    ],
  });
}
