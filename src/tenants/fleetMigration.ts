import type { Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import type { TenantProvisioner } from './provisioner';
import type { MigrationDirection } from './tenantMigrator';

/**
 * Migrates every `ready` tenant (the deploy-time job). Fast when there is nothing to do:
 * tenants whose recorded version is already the latest are recognised from the catalog
 * alone, without a connection each (`verify` checks every database for real). Bounded
 * concurrency, one connection per tenant at a time, closed as soon as it is done. A tenant
 * that fails is recorded in the catalog and the run goes on.
 */

export interface FleetTarget {
  id: string;
  dbName: string;
  migrationVersion: string | null;
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
    .select('id', 'db_name as dbName', 'migration_version as migrationVersion');
  if (only) void query.whereIn('db_name', only);
  return (await query) as FleetTarget[];
}

export async function migrateFleet(opts: FleetOptions): Promise<FleetResult> {
  const { catalog, tenants, logger, verify = false, direction = 'latest' } = opts;
  const started = Date.now();
  const all = await targets(catalog, opts.only);
  const latest = tenants.latestVersion;
  const todo =
    verify || direction === 'rollback' ? all : all.filter((t) => t.migrationVersion !== latest);
  const result: FleetResult = {
    total: all.length,
    upToDate: all.length - todo.length,
    migrated: [],
    failed: [],
    peakConnections: 0,
    elapsedMs: 0,
  };

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
        await catalog('catalog.schools').where({ id: tenant.id }).update({
          migration_version: version,
          migrated_at: catalog.fn.now(),
          last_error: null,
          last_error_at: null,
        });
        if (version !== tenant.migrationVersion || verify) result.migrated.push(tenant.dbName);
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
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.concurrency, todo.length)) }, worker),
  );
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
