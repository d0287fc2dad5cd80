import type { TenantVersion, TenantVersionsRepository } from '../../catalog/tenantVersions';
import type { Logger } from '../../logger';
import type { MigrationDirection } from '../migration/knexMigrator';
import type { MigrationPath } from '../migration/migrateTenant';
import { isBehind } from '../migration/tenantSchema';
import type { TenantServer } from '../servers/tenantServer';
import type { TenantServers } from '../servers/tenantServers';

/**
 * Migrates every `ready` tenant (the deploy-time job). Fast when there is nothing to do:
 * tenants whose recorded schema (version and migration-set fingerprint, TenantSchema) is
 * this release's are recognised from the catalog alone, without a connection each
 * (`verify` checks every database for real). A tenant that fails is recorded in the catalog
 * and the run goes on.
 *
 * Tenants are migrated server by server, all servers at once, each with its own bound of
 * `concurrency` connections: one slow server does not hold back the others, and a server
 * that does not answer fails its tenants at once, with the reason, instead of each waiting
 * out a connection timeout.
 *
 * Reached versions are recorded in batches: one UPDATE per 100 tenants instead of one each
 * (a crash before a flush only means those tenants are checked again next time). Tenant
 * migrations commit asynchronously (migration/oneTransaction.ts), so a version may only be
 * recorded once its migration is on disk. On the catalog's own server the recording UPDATE
 * itself sees to that: it commits synchronously, and PostgreSQL flushes WAL in order. On any
 * other server one synchronous commit there goes first (TenantServer.flushWal).
 */

export interface FleetResult {
  total: number;
  upToDate: number;
  migrated: string[];
  failed: { dbName: string; error: string }[];
  /** How many tenants each migration path served (migrateTenant.ts). */
  paths: Record<MigrationPath, number>;
  /** Most tenant connections open at once during the run, over all servers. */
  peakConnections: number;
  /** The same, per server (each within `concurrency`). */
  peakByServer: Record<string, number>;
  elapsedMs: number;
}

export interface FleetOptions {
  tenantVersions: TenantVersionsRepository;
  servers: TenantServers;
  logger: Logger;
  /** Tenants migrated at once on each server. */
  concurrency: number;
  verify?: boolean;
  direction?: MigrationDirection;
  /** Only these databases (default: every ready tenant). */
  only?: string[];
  onProgress?: (done: number, total: number) => void;
}

const RECORD_BATCH = 100;

export async function migrateFleet(opts: FleetOptions): Promise<FleetResult> {
  const { tenantVersions, servers, logger, verify = false, direction = 'latest' } = opts;
  const started = Date.now();
  const { schema } = servers.default.migrator;
  const all = await tenantVersions.ready(opts.only);
  const todo = verify || direction === 'rollback' ? all : all.filter((t) => isBehind(t, schema));
  const result: FleetResult = {
    total: all.length,
    upToDate: all.length - todo.length,
    migrated: [],
    failed: [],
    paths: { 'one-transaction': 0, knex: 0 },
    peakConnections: 0,
    peakByServer: {},
    elapsedMs: 0,
  };
  let open = 0;
  let done = 0;
  const run: ServerRun = {
    // The set reached is unknown after a rollback.
    set: direction === 'latest' ? schema.set : null,
    direction,
    concurrency: opts.concurrency,
    tenantVersions,
    logger,
    result,
    opened() {
      result.peakConnections = Math.max(result.peakConnections, ++open);
    },
    closed() {
      open--;
    },
    progressed() {
      opts.onProgress?.(++done, todo.length);
    },
    async fail(tenant, message) {
      result.failed.push({ dbName: tenant.dbName, error: message });
      logger.error({ dbName: tenant.dbName, error: message }, 'tenant migration failed');
      await tenantVersions.recordFailure(tenant.id, message).catch(() => undefined);
    },
  };

  const byServer = new Map<string, TenantVersion[]>();
  for (const t of todo) byServer.set(t.server, [...(byServer.get(t.server) ?? []), t]);
  await Promise.all(
    [...byServer].map(([name, tenants]) => migrateOnServer(name, tenants, servers, run)),
  );

  result.elapsedMs = Date.now() - started;
  logger.info(
    {
      total: result.total,
      upToDate: result.upToDate,
      migrated: result.migrated.length,
      failed: result.failed.length,
      paths: result.paths,
      peakByServer: result.peakByServer,
      elapsedMs: result.elapsedMs,
    },
    'tenant migration finished',
  );
  return result;
}

/** What one server's part of a fleet run shares with the others. */
interface ServerRun {
  set: string | null;
  direction: MigrationDirection;
  concurrency: number;
  tenantVersions: TenantVersionsRepository;
  logger: Logger;
  result: FleetResult;
  opened(): void;
  closed(): void;
  progressed(): void;
  fail(tenant: TenantVersion, message: string): Promise<void>;
}

async function migrateOnServer(
  name: string,
  tenants: TenantVersion[],
  servers: TenantServers,
  run: ServerRun,
): Promise<void> {
  const refuse = async (message: string) => {
    for (const tenant of tenants) {
      await run.fail(tenant, message);
      run.progressed();
    }
  };
  if (!servers.has(name)) return refuse(`server ${name} is not configured (DATABASE_SERVERS)`);
  const server = servers.get(name);
  if (!(await server.reachable())) {
    return refuse(`server ${name} is unreachable (${server.unreachableBecause() ?? 'no answer'})`);
  }

  let reached: { tenant: TenantVersion; version: string }[] = [];
  const record = async () => {
    const batch = reached;
    reached = [];
    if (batch.length === 0) return;
    try {
      if (!server.local) await server.flushWal();
      await run.tenantVersions.record(
        batch.map((r) => ({ id: r.tenant.id, version: r.version })),
        run.set,
      );
    } catch (error) {
      // Migrated but not known to be on disk: reported, and checked again next time.
      const message = `recording the version failed: ${error instanceof Error ? error.message : String(error)}`;
      for (const { tenant } of batch) await run.fail(tenant, message);
    }
  };

  let next = 0;
  let open = 0;
  const migrateOne = async (tenant: TenantVersion) => {
    run.opened();
    run.result.peakByServer[name] = Math.max(run.result.peakByServer[name] ?? 0, ++open);
    try {
      const { version, path } = await server.migrator.migrate(tenant.dbName, run.direction);
      run.result.paths[path]++;
      reached.push({ tenant, version });
      // Forward, every tenant here was behind (or is being verified); a rollback counts
      // where it moved the version.
      if (run.direction === 'latest' || version !== tenant.migrationVersion)
        run.result.migrated.push(tenant.dbName);
      if (reached.length >= RECORD_BATCH) await record();
    } catch (error) {
      await run.fail(tenant, error instanceof Error ? error.message : String(error));
    } finally {
      open--;
      run.closed();
      run.progressed();
    }
  };
  const worker = async () => {
    for (let i = next++; i < tenants.length; i = next++) await migrateOne(tenants[i]!);
  };
  try {
    const workers = Math.max(1, Math.min(run.concurrency, tenants.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await record();
  }
}

/**
 * migrateFleet with every server's template refresh running beside it instead of before it
 * (deploys: the CLI's migrate, a server's start). They touch different databases, and a
 * refresh spends most of its time waiting for its own commits, which the fleet's work fills.
 * A refresh never rejects (a failure is logged and signups migrate instead), so waiting for
 * it cannot hide the fleet's result or error.
 */
export async function migrateFleetAndTemplates(opts: FleetOptions): Promise<FleetResult> {
  const refreshes = opts.servers.all().map((s: TenantServer) => refreshIfReachable(s));
  try {
    return await migrateFleet(opts);
  } finally {
    await Promise.all(refreshes);
  }
}

async function refreshIfReachable(server: TenantServer): Promise<void> {
  if (await server.reachable()) await server.provisioner.refreshTemplate();
}
