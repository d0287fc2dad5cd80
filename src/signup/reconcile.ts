import type { Auth0Client } from '../auth0/managementClient';
import { liveOwnerKeys, OWNER_IS_GONE_SQL } from '../catalog/ownerLock';
import { toSchool, type School, type SchoolRow } from '../catalog/schoolsRepository';
import type { Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import type { TenantProvisioner } from '../tenants/provisioner';

/**
 * Finishes what interrupted signups left: rows still `provisioning` whose process is gone
 * (kill -9, power loss) and rows `failed` because a compensation could not run. Each is
 * rolled back completely — its Auth0 user (found by id, or by email + app_metadata.signup_id
 * when the create response was lost), its staging or tenant database (only if it carries
 * this signup's marker), then the row. Runs at start-up, periodically, and from the CLI.
 */

export interface ReconcileDeps {
  catalog: Knex;
  auth0: Auth0Client;
  tenants: TenantProvisioner;
  logger: Logger;
}

export interface ReconcileSummary {
  /** False when another process was already reconciling (nothing was done here). */
  ran: boolean;
  rolledBack: string[];
  failed: { dbName: string; error: string }[];
  orphanDatabasesDropped: string[];
}

/** One reconciler at a time across all processes. */
const RECONCILE_LOCK_KEY = 7_302_114_552;

export async function reconcileSignups(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    ran: false,
    rolledBack: [],
    failed: [],
    orphanDatabasesDropped: [],
  };
  // The lock lives in a transaction on one connection; the work uses other pooled ones.
  await deps.catalog.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { ok: boolean }[] }>(
      'SELECT pg_try_advisory_xact_lock(?) AS ok',
      [RECONCILE_LOCK_KEY],
    );
    if (!rows[0]?.ok) return;
    summary.ran = true;
    await rollBackAbandoned(deps, summary);
    await dropOrphanDatabases(deps, summary);
  });
  const changed =
    summary.rolledBack.length + summary.failed.length + summary.orphanDatabasesDropped.length;
  if (changed > 0) deps.logger.info(summary, 'reconcile finished');
  return summary;
}

async function rollBackAbandoned(deps: ReconcileDeps, summary: ReconcileSummary): Promise<void> {
  const { rows } = await deps.catalog.raw<{ rows: SchoolRow[] }>(
    `SELECT * FROM catalog.schools s
     WHERE s.status <> 'ready' AND (s.status = 'failed' OR s.owner_key IS NULL OR ${OWNER_IS_GONE_SQL})
     ORDER BY s.created_at`,
  );
  for (const school of rows.map(toSchool)) {
    try {
      await rollBack(school, deps);
      summary.rolledBack.push(school.dbName);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ dbName: school.dbName, error: message });
      await deps
        .catalog('catalog.schools')
        .where({ id: school.id })
        .update({
          status: 'failed',
          last_error: `reconcile: ${message}`.slice(0, 1000),
          last_error_at: deps.catalog.fn.now(),
        });
    }
  }
}

async function rollBack(school: School, { auth0, tenants, catalog, logger }: ReconcileDeps) {
  const users = (await auth0.findUsersByEmail(school.email)).filter(
    (u) => u.user_id === school.auth0UserId || u.app_metadata?.signup_id === school.id,
  );
  for (const user of users) await auth0.deleteUser(user.user_id);
  await tenants.dropStaging(school.id);
  await tenants.dropIfOwned(school.dbName, school.id);
  await catalog('catalog.schools').where({ id: school.id }).delete();
  logger.warn(
    { dbName: school.dbName, auth0Users: users.length },
    'rolled back an interrupted signup',
  );
}

/**
 * Databases this deployment made (a staging name or a marker carrying its tag) that no
 * catalog row points at any more: debris. Other deployments' databases sharing the server,
 * and databases that are nobody's, are never touched.
 */
async function dropOrphanDatabases(deps: ReconcileDeps, summary: ReconcileSummary): Promise<void> {
  const ours = await deps.tenants.ownDatabases();
  const known = new Set(
    ((await deps.catalog('catalog.schools').pluck('id')) as string[]).map((id) => id.toLowerCase()),
  );
  for (const { dbName, signupId, staging } of ours) {
    if (known.has(signupId)) continue;
    await (staging
      ? deps.tenants.dropStaging(signupId)
      : deps.tenants.dropIfOwned(dbName, signupId));
    summary.orphanDatabasesDropped.push(dbName);
  }
  // Spares of servers that are gone (kill -9): read the spares first, so one made by a
  // server that started meanwhile is never mistaken for a dead one's.
  const spares = await deps.tenants.ownSpares();
  const live = await liveOwnerKeys(deps.catalog);
  for (const { dbName, ownerKey } of spares) {
    if (live.has(ownerKey)) continue;
    await deps.tenants.drop(dbName);
    summary.orphanDatabasesDropped.push(dbName);
  }
}
