import type { Auth0Client } from '../auth0/managementClient';
import type { Catalog } from '../catalog/catalog';
import type { School } from '../catalog/schoolsRepository';
import type { Logger } from '../logger';
import type { TenantServer } from '../tenants/servers/tenantServer';
import type { TenantServers } from '../tenants/servers/tenantServers';
import { sweepAuth0Users } from './auth0Sweep';
import { settleMove } from './moveSchool';
import { removeSchool } from './removeSchool';
import { checkTombstones } from './tombstoneChecks';

/**
 * Finishes what interrupted signups left: rows still `provisioning` whose process is gone
 * (kill -9, power loss) or that their own live process no longer has in flight, and rows
 * `failed` because a compensation could not run. Each is removed completely
 * (removeSchool.ts), leaving a tombstone: the dead owner's create may still land in Auth0,
 * and the tombstone checks catch it (tombstoneChecks.ts). Runs at start-up, periodically
 * (reconcileLoop.ts), and from the CLI.
 */

export interface ReconcileDeps {
  catalog: Catalog;
  auth0: Auth0Client;
  servers: TenantServers;
  logger: Logger;
  /** How long a rolled-back signup's tombstone is watched (RECONCILE_HORIZON_SECONDS). */
  horizonSeconds: number;
  /** The calling process's own signups: its owner key and the ids it has in flight. */
  self?: { ownerKey: number; inFlight: ReadonlySet<string>; moving?: ReadonlySet<string> };
  /**
   * The Auth0 sweep (auth0Sweep.ts), run by whichever server's reconcile finds it due:
   * `everySeconds` apart across all servers; `now` runs it regardless (the CLI).
   */
  auth0Sweep?: { deployment: string; everySeconds: number; now?: boolean };
}

export interface ReconcileSummary {
  /** False when another process was already reconciling (nothing was done here). */
  ran: boolean;
  rolledBack: string[];
  /** Moves of dead processes, brought to an end: undone, or finished if they had switched. */
  movesSettled: string[];
  /** Servers whose debris could not be looked at this time (unreachable). */
  serversSkipped: string[];
  failed: { dbName: string; error: string }[];
  orphanDatabasesDropped: string[];
  /** Signups whose Auth0 user landed after they were rolled back, and was deleted. */
  lateUsersDeleted: string[];
  /** The Auth0 sweep, when it ran: users seen, and the orphans deleted (their db_name). */
  auth0Sweep?: { seen: number; deleted: string[] };
}

export async function reconcileSignups(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    ran: false,
    rolledBack: [],
    movesSettled: [],
    serversSkipped: [],
    failed: [],
    orphanDatabasesDropped: [],
    lateUsersDeleted: [],
  };
  summary.ran = await deps.catalog.whileReconciling(async () => {
    await rollBackAbandoned(deps, summary);
    await settleAbandonedMoves(deps, summary);
    await dropOrphanDatabases(deps, summary);
    const checks = await checkTombstones({
      tombstones: deps.catalog.tombstones,
      auth0: deps.auth0,
      logger: deps.logger,
    });
    summary.lateUsersDeleted.push(...checks.lateUsersDeleted);
    if (deps.auth0Sweep) summary.auth0Sweep = await sweepIfDue(deps, deps.auth0Sweep);
  });
  const changed =
    summary.rolledBack.length +
    summary.movesSettled.length +
    summary.failed.length +
    summary.orphanDatabasesDropped.length +
    summary.lateUsersDeleted.length +
    (summary.auth0Sweep?.deleted.length ?? 0);
  if (changed > 0) deps.logger.info(summary, 'reconcile finished');
  return summary;
}

/**
 * Users of the last day on the first sweep; afterwards, from 10 minutes before the previous
 * sweep started: Auth0's search index can lag behind a create, and a user it did not show
 * then is caught now.
 */
const FIRST_SWEEP_MS = 24 * 3600_000;
const SEARCH_LAG_MARGIN_MS = 10 * 60_000;

async function sweepIfDue(
  deps: ReconcileDeps,
  sweep: NonNullable<ReconcileDeps['auth0Sweep']>,
): Promise<{ seen: number; deleted: string[] } | undefined> {
  const claimed = await deps.catalog.jobs.claim('auth0_sweep', sweep.now ? 0 : sweep.everySeconds);
  if (!claimed) return undefined;
  const { schools } = deps.catalog;
  const since = claimed.previous
    ? new Date(claimed.previous.getTime() - SEARCH_LAG_MARGIN_MS)
    : new Date(Date.now() - FIRST_SWEEP_MS);
  const { seen, deleted } = await sweepAuth0Users(
    { ...deps, schools, deployment: sweep.deployment },
    since,
  );
  return { seen, deleted };
}

async function rollBackAbandoned(deps: ReconcileDeps, summary: ReconcileSummary): Promise<void> {
  const { schools } = deps.catalog;
  const self = deps.self && { ownerKey: deps.self.ownerKey, inFlight: [...deps.self.inFlight] };
  for (const school of await schools.abandoned(self)) {
    try {
      await rollBack(school, deps);
      summary.rolledBack.push(school.dbName);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ dbName: school.dbName, error: message });
      await schools.markFailed(school.id, `reconcile: ${message}`);
    }
  }
}

async function settleAbandonedMoves(deps: ReconcileDeps, summary: ReconcileSummary) {
  const self = deps.self && {
    ownerKey: deps.self.ownerKey,
    running: [...(deps.self.moving ?? [])],
  };
  for (const move of await deps.catalog.moves.abandoned(self)) {
    try {
      await settleMove(move, deps.servers, deps.catalog);
      summary.movesSettled.push(move.dbName);
      deps.logger.warn(
        { dbName: move.dbName, from: move.fromServer, to: move.toServer, state: move.state },
        move.state === 'switched' ? 'finished an interrupted move' : 'undid an interrupted move',
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ dbName: move.dbName, error: `move: ${message}` });
    }
  }
}

async function rollBack(school: School, deps: ReconcileDeps) {
  const { schools } = deps.catalog;
  const { deletedUsers } = await removeSchool(
    school,
    { schools, auth0: deps.auth0, servers: deps.servers },
    { foreignDatabase: 'skip', tombstoneSeconds: deps.horizonSeconds },
  );
  deps.logger.warn(
    { dbName: school.dbName, auth0Users: deletedUsers },
    'rolled back an interrupted signup',
  );
}

/**
 * Databases this deployment made (a staging name or a marker carrying its tag), on any of
 * its servers, that no catalog row points at any more: debris. Other deployments' databases sharing the server,
 * and databases that are nobody's, are never touched.
 */
async function dropOrphanDatabases(deps: ReconcileDeps, summary: ReconcileSummary): Promise<void> {
  const known = await deps.catalog.schools.ids();
  for (const server of deps.servers.all()) {
    // A server that is down keeps its debris until it is back; the others are swept.
    if (!(await server.reachable())) {
      summary.serversSkipped.push(server.name);
      continue;
    }
    try {
      await dropOrphansOn(server, known, deps, summary);
    } catch (error) {
      summary.serversSkipped.push(server.name);
      deps.logger.warn({ server: server.name, err: error }, 'sweeping a server failed');
    }
  }
}

async function dropOrphansOn(
  server: TenantServer,
  known: ReadonlySet<string>,
  deps: ReconcileDeps,
  summary: ReconcileSummary,
): Promise<void> {
  const { databases } = server;
  for (const { dbName, signupId, staging } of await databases.ownDatabases()) {
    if (known.has(signupId)) continue;
    await (staging ? databases.dropStaging(signupId) : databases.dropIfOwned(dbName, signupId));
    summary.orphanDatabasesDropped.push(dbName);
  }
  // Spares of servers that are gone (kill -9): read the spares first, so one made by a
  // server that started meanwhile is never mistaken for a dead one's.
  const spares = await databases.ownSpares();
  const live = await deps.catalog.liveOwnerKeys();
  // Our own lock may be briefly lost (a database restart) while we still keep our spares.
  if (deps.self) live.add(deps.self.ownerKey);
  for (const { dbName, ownerKey } of spares) {
    if (live.has(ownerKey)) continue;
    await databases.drop(dbName);
    summary.orphanDatabasesDropped.push(dbName);
  }
}
