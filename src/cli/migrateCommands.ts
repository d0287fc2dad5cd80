import type { Dependencies } from '../composition';
import {
  migrateFleet,
  migrateFleetAndTemplates,
  type FleetOptions,
  type FleetResult,
} from '../tenants/fleet/migrateFleet';
import { command } from './command';
import { parseCommandArgs, UsageError } from './options';
import { progressReporter } from './progress';

/** Tenants migrated at once: each holds one connection to its server. */
const CONCURRENCY = { type: 'integer', min: 1, max: 100 } as const;

const fleetOf = (deps: Dependencies, concurrency: number | undefined): FleetOptions => ({
  tenantVersions: deps.catalog.tenantVersions,
  servers: deps.servers,
  logger: deps.logger,
  concurrency: concurrency ?? deps.config.tenants.migrationConcurrency,
});

function printResult(result: FleetResult, verb: string): number {
  const out = process.stdout;
  const { 'one-transaction': oneTransaction, knex } = result.paths;
  // Which migrator served them: a fleet that suddenly goes all 'knex' is slower, not broken.
  const paths =
    oneTransaction + knex > 0 ? `; ${oneTransaction} in one transaction, ${knex} by knex` : '';
  out.write(
    `${result.total} tenants: ${result.upToDate} already up to date, ${result.migrated.length} ${verb}, ` +
      `${result.failed.length} failed (${result.elapsedMs} ms, at most ${result.peakConnections} tenant connections${paths})\n`,
  );
  for (const f of result.failed) out.write(`  FAILED ${f.dbName}: ${f.error}\n`);
  return result.failed.length > 0 ? 1 : 0;
}

export const migrateCommand = command({
  summary: 'Bring every ready tenant (and the template) to the latest tenant migration',
  usage: `Usage: npm run tenants -- migrate [--verify] [--concurrency N]

  --verify         open every tenant database to check and migrate it, instead of trusting
                   the version recorded in the catalog
  --concurrency N  tenants migrated at once on each server (default
                   TENANT_MIGRATION_CONCURRENCY)

Exits 1 if any tenant failed; the others are migrated regardless.`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { verify: { type: 'boolean' }, concurrency: CONCURRENCY } })
      .values,
  async run(options, deps: Dependencies) {
    const result = await migrateFleetAndTemplates({
      ...fleetOf(deps, options.concurrency),
      verify: options.verify === true,
      onProgress: progressReporter('migrating tenants'),
    });
    return printResult(result, 'migrated');
  },
});

export const rollbackCommand = command({
  summary: 'Roll back the last migration batch of one tenant or of all',
  usage: `Usage: npm run tenants -- rollback <db_name> | --all [--concurrency N]

Rolls back one batch (the most recent migrate run) in the named tenant database, or in every
ready tenant with --all. The next migrate brings them forward again.`,
  parse(args: string[]) {
    const { values, positionals } = parseCommandArgs(args, {
      options: { all: { type: 'boolean' }, concurrency: CONCURRENCY },
      positionals: { min: 0, max: 1, name: '<db_name>' },
    });
    if ((positionals.length === 1) === (values.all === true))
      throw new UsageError('give either one <db_name> or --all');
    return { ...values, dbName: positionals[0] };
  },
  async run(options, deps: Dependencies) {
    const result = await migrateFleet({
      ...fleetOf(deps, options.concurrency),
      direction: 'rollback',
      only: options.dbName === undefined ? undefined : [options.dbName],
      onProgress: progressReporter('rolling back'),
    });
    if (options.dbName !== undefined && result.total === 0) {
      process.stderr.write(`No ready tenant has the database ${options.dbName}\n`);
      return 1;
    }
    return printResult(result, 'rolled back');
  },
});
