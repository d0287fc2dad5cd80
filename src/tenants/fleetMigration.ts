import type { Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import type { TenantProvisioner } from './provisioner';
import type { MigrationDirection } from './tenantMigrator';

/**
 * Migrates every `ready` tenant (the deploy-time job). Fast when there is nothing to do:
 * tenants whose recorded schema (version and migration-set fingerprint, TenantSchema) is
 * this release's are recognised from the catalog alone, without a connection each
 * (`verify` checks every database for real). Bounded
 * concurrency, one connection per tenant at a time, closed as soon as it is done. A tenant
 * that fails is recorded in the catalog and the run goes on.
 */

export interface FleetTarget {
  id: string;
  dbName: string;
  migrationVersion: string | null;
  migrationSet: string | null;
}

export interface FleetResult {
  total: number;
  upToDate: number;
  migrated: string[];
  failed: { dbName: string; error: string }[];
  /** Most tenant connections open at once during the run. */
  peakConnections: number;
  elapsedMs: number;
}

export interface FleetOptions {
  catalog: Knex;
  tenants: TenantProvisioner;
  logger: Logger;
  concurrency: number;
  verify?: boolean;
  direction?: MigrationDirection;
  /** Only these databases (default: every ready tenant). */
  only?: string[];
  onProgress?: (done: number, total: number) => void;
}

async function targets(catalog: Knex, only?: string[]): Promise<FleetTarget[]> {
  const query = catalog('catalog.schools')
    .where({ status: 'ready' })
    .orderBy('db_name')
    .select(
      'id',
      'db_name as dbName',
      'migration_version as migrationVersion',
      'migration_set as migrationSet',
    );
  if (only) void query.whereIn('db_name', only);
  return (await query) as FleetTarget[];
}

/**
 * Records reached versions in the catalog in batches: one UPDATE per 100 tenants instead of
 * one each. A crash before a flush only means those tenants are checked again next time.
 *
 * Tenant migrations commit asynchronously (fastTenantMigration.ts). This UPDATE commits
 * synchronously on the same server, and PostgreSQL flushes WAL in order, so by the time a
 * version is recorded the migrations before it are on disk. (A tenant on another server
 * would need its own synchronous commit first: see docs/multi-server.md.)
 */
class VersionRecorder {
  private pending: { id: string; version: string }[] = [];

  /** `set`: the migration-set fingerprint the tenants reached (null after a rollback). */
  constructor(
    private readonly catalog: Knex,
    private readonly set: string | null,
    private readonly batchSize = 100,
  ) {}

  async record(id: string, version: string): Promise<void> {
    this.pending.push({ id, version });
    if (this.pending.length >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    await this.catalog.raw(
      `UPDATE catalog.schools s
          SET migration_version = v.version, migration_set = ?, migrated_at = now(),
              last_error = NULL, last_error_at = NULL
         FROM unnest(?::uuid[], ?::text[]) AS v(id, version)
        WHERE s.id = v.id`,
      [this.set, batch.map((b) => b.id), batch.map((b) => b.version)],
    );
  }
}

export async function migrateFleet(opts: FleetOptions): Promise<FleetResult> {
  const { catalog, tenants, logger, verify = false, direction = 'latest' } = opts;
  const started = Date.now();
  const all = await targets(catalog, opts.only);
  const { schema } = tenants;
  const current = (t: FleetTarget) =>
    t.migrationVersion === schema.version && t.migrationSet === schema.set;
  const todo = verify || direction === 'rollback' ? all : all.filter((t) => !current(t));
  const result: FleetResult = {
    total: all.length,
    upToDate: all.length - todo.length,
    migrated: [],
    failed: [],
    peakConnections: 0,
    elapsedMs: 0,
  };

  const recorder = new VersionRecorder(catalog, direction === 'latest' ? schema.set : null);
  let next = 0;
  let open = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < todo.length; i = next++) {
      const tenant = todo[i]!;
      open++;
      result.peakConnections = Math.max(result.peakConnections, open);
      try {
        const version = await tenants.migrate(tenant.dbName, direction);
        await recorder.record(tenant.id, version);
        // Forward, every tenant here was behind (or is being verified); a rollback counts
        // where it moved the version.
        if (direction === 'latest' || version !== tenant.migrationVersion)
          result.migrated.push(tenant.dbName);
      } catch (error) {
        const message = (error as { causeMessage?: string }).causeMessage ?? String(error);
        result.failed.push({ dbName: tenant.dbName, error: message });
        logger.error({ dbName: tenant.dbName, error: message }, 'tenant migration failed');
        await catalog('catalog.schools')
          .where({ id: tenant.id })
          .update({
            last_error: `migrate: ${message}`.slice(0, 1000),
            last_error_at: catalog.fn.now(),
          })
          .catch(() => undefined);
      } finally {
        open--;
        opts.onProgress?.(++done, todo.length);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(opts.concurrency, todo.length)) }, worker),
    );
  } finally {
    await recorder.flush();
  }
  result.elapsedMs = Date.now() - started;
  logger.info(
    {
      total: result.total,
      upToDate: result.upToDate,
      migrated: result.migrated.length,
      failed: result.failed.length,
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
export async function migrateFleetAndTemplate(opts: FleetOptions): Promise<FleetResult> {
  const refresh = opts.tenants.refreshTemplate();
  try {
    return await migrateFleet(opts);
  } finally {
    await refresh;
  }
}
