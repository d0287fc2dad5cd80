import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import knex from 'knex';
import { startSampler } from './connectionSampler';
import type { Config } from '../src/config';
import { withDatabase } from '../src/db/databaseUrl';
import type { Catalog } from '../src/catalog/catalog';
import { compose } from '../src/composition';
import type { TenantServers } from '../src/tenants/servers/tenantServers';
import type { Knex } from '../src/db/knexFactory';
import type { Logger } from '../src/logger';
import { migrateFleet } from '../src/tenants/fleet/migrateFleet';
import { nowMs } from './stats';

/**
 * migrate-all over the fleet: the service's migrateFleet against the loop anyone would write
 * first (one knex per tenant, migrate.latest, destroy, one tenant after another), with the
 * server's own view of connections sampled from pg_stat_activity while each runs.
 */

export interface FleetRun {
  ms: number;
  failed: number;
  migrated: number;
  /** migrateFleet's own count (undefined for the naive loop). */
  peakConnectionsReported?: number;
  /** How many tenants each migration path served (undefined for the naive loop). */
  paths?: Record<string, number>;
  /** Most connections to this run's tenant databases seen in pg_stat_activity. */
  peakTenantBackends: number;
  /** Most client backends on the whole server (includes the sampler's own). */
  peakClientBackends: number;
  firstError?: string;
}

export interface FleetContext {
  adminUrl: string;
  runId: string;
  /** The bench's own connection to the catalog database (CHECKPOINT). */
  admin: Knex;
  logger: Logger;
  concurrency: number;
  say?: (message: string) => void;
}

const tenantPattern = (runId: string) => `bench\\_${runId}\\_%`;

export async function tenantDatabases(catalog: Catalog): Promise<string[]> {
  return (await catalog.tenantVersions.ready()).map((t) => t.dbName);
}

/**
 * Starts every timed run from a fresh checkpoint, so that no run pays for writing out what
 * the phase before it dirtied (1 000 signups leave a lot). Needs superuser or pg_checkpoint;
 * skipped (and said) when the role has neither.
 */
export async function settle(ctx: FleetContext): Promise<void> {
  await ctx.admin.raw('CHECKPOINT').catch((error: unknown) => {
    ctx.say?.(`CHECKPOINT not allowed (${String(error)}); runs may pay for earlier writes`);
  });
}

export async function runFleet(
  ctx: FleetContext,
  service: { catalog: Catalog; servers: TenantServers },
  verify = false,
): Promise<FleetRun> {
  await settle(ctx);
  const stop = await startSampler(ctx.adminUrl, { datnameLike: tenantPattern(ctx.runId) });
  const started = nowMs();
  const result = await migrateFleet({
    tenantVersions: service.catalog.tenantVersions,
    servers: service.servers,
    logger: ctx.logger,
    concurrency: ctx.concurrency,
    verify,
  });
  const ms = nowMs() - started;
  const peak = await stop();
  return {
    ms: Math.round(ms),
    failed: result.failed.length,
    migrated: result.migrated.length,
    peakConnectionsReported: result.peakConnections,
    peakTenantBackends: peak.tenant,
    peakClientBackends: peak.total,
    firstError: result.failed[0] && `${result.failed[0].dbName}: ${result.failed[0].error}`,
    paths: result.paths,
  };
}

/** The naive loop, literally: a default knex per tenant, migrate.latest, destroy. */
export async function runNaive(
  ctx: FleetContext,
  dbNames: string[],
  directory: string,
): Promise<FleetRun> {
  await settle(ctx);
  const stop = await startSampler(ctx.adminUrl, { datnameLike: tenantPattern(ctx.runId) });
  let failed = 0;
  let migrated = 0;
  let firstError: string | undefined;
  const started = nowMs();
  for (const name of dbNames) {
    const db = knex({ client: 'pg', connection: withDatabase(ctx.adminUrl, name) });
    try {
      const [, applied] = (await db.migrate.latest({
        directory,
        loadExtensions: ['.ts', '.js'],
      })) as [number, string[]];
      if (applied.length > 0) migrated++;
    } catch (error) {
      failed++;
      firstError ??= `${name}: ${String(error)}`;
    } finally {
      await db.destroy();
    }
  }
  const ms = nowMs() - started;
  const peak = await stop();
  return {
    ms: Math.round(ms),
    failed,
    migrated,
    peakTenantBackends: peak.tenant,
    peakClientBackends: peak.total,
    firstError,
  };
}

/**
 * Adds a migration of the same shape each time (a column and an index on students), so every
 * migration a run applies costs the same. `n` orders them (and names the column).
 */
export async function addMigration(directory: string, n: number): Promise<string> {
  const version = String(29990101000000 + n);
  const column = `bench_${n}`;
  await writeFile(
    path.join(directory, `${version}_bench_${n}.js`),
    `exports.up = async (knex) => {
  await knex.raw('ALTER TABLE students ADD COLUMN ${column} text');
  await knex.raw('CREATE INDEX students_${column}_idx ON students (${column})');
};
exports.down = async (knex) => {
  await knex.raw('ALTER TABLE students DROP COLUMN ${column}');
};
`,
  );
  return version;
}

/**
 * migrateFleet after a new migration file appeared: the migrator reads the migrations when
 * it is built, so this composes a second set of dependencies (same config) that sees the
 * new file.
 */
export async function runFleetWithFreshRuntime(
  ctx: FleetContext,
  config: Readonly<Config>,
  expectVersion: string,
): Promise<FleetRun> {
  const deps = await compose(config, ctx.logger);
  try {
    const { version } = deps.servers.default.migrator.schema;
    if (version !== expectVersion) {
      throw new Error(`the fresh dependencies see version ${version}, not ${expectVersion}`);
    }
    return await runFleet(ctx, deps);
  } finally {
    await deps.close();
  }
}
