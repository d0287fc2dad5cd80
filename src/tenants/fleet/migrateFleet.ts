import type { TenantVersion, TenantVersionsRepository } from '../../catalog/tenantVersions';
import type { Logger } from '../../logger';
import type { MigrationDirection } from '../migration/knexMigrator';
import type { MigrationPath, TenantMigrator } from '../migration/migrateTenant';
import { isBehind } from '../migration/tenantSchema';

/**
 * Migrates every `ready` tenant (the deploy-time job). Fast when there is nothing to do:
 * tenants whose recorded schema (version and migration-set fingerprint, TenantSchema) is
 * this release's are recognised from the catalog alone, without a connection each
 * (`verify` checks every database for real). Bounded concurrency, one connection per tenant
 * at a time, closed as soon as it is done. A tenant that fails is recorded in the catalog and
 * the run goes on.
 *
 * Reached versions are recorded in batches: one UPDATE per 100 tenants instead of one each
 * (a crash before a flush only means those tenants are checked again next time). Tenant
 * migrations commit asynchronously (migration/oneTransaction.ts); the recording UPDATE
 * commits synchronously on the same server, and PostgreSQL flushes WAL in order, so by the
 * time a version is recorded the migrations before it are on disk. (A tenant on another
 * server would need its own synchronous commit first: see docs/multi-server.md.)
 */

export interface FleetResult {
  total: number;
  upToDate: number;
  migrated: string[];
  failed: { dbName: string; error: string }[];
  /** How many tenants each migration path served (migrateTenant.ts). */
  paths: Record<MigrationPath, number>;
  /** Most tenant connections open at once during the run. */
  peakConnections: number;
  elapsedMs: number;
}

export interface FleetOptions {
  tenantVersions: TenantVersionsRepository;
  migrator: TenantMigrator;
  logger: Logger;
  concurrency: number;
  verify?: boolean;
  direction?: MigrationDirection;
  /** Only these databases (default: every ready tenant). */
  only?: string[];
  onProgress?: (done: number, total: number) => void;
}

const RECORD_BATCH = 100;

export async function migrateFleet(opts: FleetOptions): Promise<FleetResult> {
  const { tenantVersions, migrator, logger, verify = false, direction = 'latest' } = opts;
  const started = Date.now();
  const all = await tenantVersions.ready(opts.only);
  const todo =
    verify || direction === 'rollback' ? all : all.filter((t) => isBehind(t, migrator.schema));
  const result: FleetResult = {
    total: all.length,
    upToDate: all.length - todo.length,
    migrated: [],
    failed: [],
    paths: { 'one-transaction': 0, knex: 0 },
    peakConnections: 0,
    elapsedMs: 0,
  };

  // The set reached is unknown after a rollback.
  const set = direction === 'latest' ? migrator.schema.set : null;
  let reached: { id: string; version: string }[] = [];
  const flush = async () => {
    const batch = reached;
    reached = [];
    await tenantVersions.record(batch, set);
  };

  let next = 0;
  let open = 0;
  let done = 0;
  const migrateOne = async (tenant: TenantVersion) => {
    open++;
    result.peakConnections = Math.max(result.peakConnections, open);
    try {
      const { version, path } = await migrator.migrate(tenant.dbName, direction);
      result.paths[path]++;
      reached.push({ id: tenant.id, version });
      if (reached.length >= RECORD_BATCH) await flush();
      // Forward, every tenant here was behind (or is being verified); a rollback counts
      // where it moved the version.
      if (direction === 'latest' || version !== tenant.migrationVersion)
        result.migrated.push(tenant.dbName);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.failed.push({ dbName: tenant.dbName, error: message });
      logger.error({ dbName: tenant.dbName, error: message }, 'tenant migration failed');
      await tenantVersions.recordFailure(tenant.id, message).catch(() => undefined);
    } finally {
      open--;
      opts.onProgress?.(++done, todo.length);
    }
  };
  const worker = async () => {
    for (let i = next++; i < todo.length; i = next++) await migrateOne(todo[i]!);
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(opts.concurrency, todo.length)) }, worker),
    );
  } finally {
    await flush();
  }
  result.elapsedMs = Date.now() - started;
  logger.info(
    {
      total: result.total,
      upToDate: result.upToDate,
      migrated: result.migrated.length,
      failed: result.failed.length,
      paths: result.paths,
      elapsedMs: result.elapsedMs,
    },
    'tenant migration finished',
  );
  return result;
}

/**
 * migrateFleet with the template refresh running beside it instead of before it (deploys:
 * the CLI's migrate, a server's start). They touch different databases, and a refresh spends
 * most of its time waiting for its own commits, which the fleet's work fills. The refresh
 * never rejects (a failure is logged and signups migrate instead), so waiting for it cannot
 * hide the fleet's result or error.
 */
export async function migrateFleetAndTemplate(
  opts: FleetOptions & { refreshTemplate: () => Promise<boolean> },
): Promise<FleetResult> {
  const refresh = opts.refreshTemplate();
  try {
    return await migrateFleet(opts);
  } finally {
    await refresh;
  }
}
