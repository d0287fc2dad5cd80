import type { BenchEnvironment } from './environment';
import {
  addMigration,
  runFleet,
  runFleetWithFreshRuntime,
  runNaive,
  tenantDatabases,
  type FleetContext,
} from './fleet';
import type { BenchOptions } from './options';
import { ratio, type BenchResults } from './report';

/**
 * migrate-all over every tenant the signups created: with nothing to do, then with one new
 * migration, each time migrateFleet against the naive loop in the same run.
 */

export async function measureFleet(
  env: BenchEnvironment,
  o: BenchOptions,
  say: (message: string) => void,
): Promise<{ fleet: BenchResults['fleet']; concurrency: number }> {
  const ctx: FleetContext = {
    adminUrl: env.adminUrl,
    runId: env.runId,
    catalog: env.service.catalog,
    logger: env.logger,
    concurrency: o.fleetConcurrency ?? env.config.tenantMigrationConcurrency,
    say,
  };
  const dbNames = await tenantDatabases(env.service.catalog);

  say(`migrate-all with nothing to do over ${dbNames.length} tenants`);
  const noopFleet = await runFleet(ctx, env.service.tenants);
  const noopVerify = await runFleet(ctx, env.service.tenants, true);
  const noopNaive = await runNaive(ctx, dbNames, env.migrationsDir);

  // Two migrations of the same shape: A is applied by migrateFleet, then B by the naive loop,
  // so each side does the same real work and neither has to undo the other's (rolling back
  // would add work of its own, and dropping knex_migrations rows would fake a state).
  say('one new migration: migrateFleet applies A, then the naive loop applies B');
  const versionA = await addMigration(env.migrationsDir, 'a');
  const newFleet = await runFleetWithFreshRuntime(ctx, env.config, versionA);
  await addMigration(env.migrationsDir, 'b');
  const newNaive = await runNaive(ctx, dbNames, env.migrationsDir);

  return {
    concurrency: ctx.concurrency,
    fleet: {
      tenants: dbNames.length,
      noop: { migrateFleet: noopFleet, migrateFleetVerify: noopVerify, naive: noopNaive },
      newMigration: {
        migrateFleet: newFleet,
        naive: newNaive,
        speedup: ratio(newNaive.ms, newFleet.ms),
      },
    },
  };
}
