import { parseArgs } from 'node:util';
import type { CatalogRuntime } from '../runtime';
import { migrateFleet, migrateFleetAndTemplate, type FleetResult } from '../tenants/fleetMigration';
import type { Command } from './commands';
import { progressReporter } from './progress';

function printResult(result: FleetResult, verb: string): number {
  const out = process.stdout;
  out.write(
    `${result.total} tenants: ${result.upToDate} already up to date, ${result.migrated.length} ${verb}, ` +
      `${result.failed.length} failed (${result.elapsedMs} ms, at most ${result.peakConnections} tenant connections)\n`,
  );
  for (const f of result.failed) out.write(`  FAILED ${f.dbName}: ${f.error}\n`);
  return result.failed.length > 0 ? 1 : 0;
}

export const migrateCommand: Command = {
  summary: 'Bring every ready tenant (and the template) to the latest tenant migration',
  usage: `Usage: npm run tenants -- migrate [--verify] [--concurrency N]

  --verify         open every tenant database to check and migrate it, instead of trusting
                   the version recorded in the catalog
  --concurrency N  tenants migrated at once (default TENANT_MIGRATION_CONCURRENCY)

Exits 1 if any tenant failed; the others are migrated regardless.`,
  async run(args: string[], runtime: CatalogRuntime) {
    const { values } = parseArgs({
      args,
      options: { verify: { type: 'boolean' }, concurrency: { type: 'string' } },
    });
    const concurrency = Number(values.concurrency ?? runtime.config.tenantMigrationConcurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('--concurrency must be a positive integer');
    const result = await migrateFleetAndTemplate({
      ...runtime,
      concurrency,
      verify: values.verify === true,
      onProgress: progressReporter('migrating tenants'),
    });
    return printResult(result, 'migrated');
  },
};

export const rollbackCommand: Command = {
  summary: 'Roll back the last migration batch of one tenant or of all',
  usage: `Usage: npm run tenants -- rollback <db_name> | --all [--concurrency N]

Rolls back one batch (the most recent migrate run) in the named tenant database, or in every
ready tenant with --all. The next migrate brings them forward again.`,
  async run(args: string[], runtime: CatalogRuntime) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { all: { type: 'boolean' }, concurrency: { type: 'string' } },
    });
    if ((positionals.length === 1) === (values.all === true)) {
      process.stderr.write(`${rollbackCommand.usage}\n`);
      return 2;
    }
    const result = await migrateFleet({
      ...runtime,
      concurrency: Number(values.concurrency ?? runtime.config.tenantMigrationConcurrency),
      direction: 'rollback',
      only: values.all ? undefined : positionals,
      onProgress: progressReporter('rolling back'),
    });
    if (!values.all && result.total === 0) {
      process.stderr.write(`No ready tenant has the database ${positionals[0]}\n`);
      return 1;
    }
    return printResult(result, 'rolled back');
  },
};
