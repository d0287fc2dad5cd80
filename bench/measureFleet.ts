import type { BenchEnvironment } from './environment';
import {
  addMigration,
  type FleetRun,
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
    admin: env.admin,
    logger: env.logger,
    concurrency: o.fleetConcurrency ?? env.config.tenants.migrationConcurrency,
    say,
  };
  const dbNames = await tenantDatabases(env.service.catalog);

  say(`migrate-all with nothing to do over ${dbNames.length} tenants`);
  const noopFleet = await runFleet(ctx, env.service);
  const noopVerify = await runFleet(ctx, env.service, true);
  const noopNaive = await runNaive(ctx, dbNames, env.migrationsDir);

  // Rounds of two migrations of the same shape: migrateFleet applies one, then the naive loop
  // the next. Each side does the same real work and neither has to undo the other's (rolling
  // back would add work of its own, and deleting knex_migrations rows would fake a state).
  // Alternating rounds spread whatever else the machine does over both sides; the medians
  // are compared. (Each round's migrations add a column and an index, so later rounds cost
  // both sides a little more.)
  const fleetRuns: FleetRun[] = [];
  const naiveRuns: FleetRun[] = [];
  for (let round = 1; round <= o.migrationRounds; round++) {
    say(
      `one new migration, round ${round} of ${o.migrationRounds}: migrateFleet, then the naive loop`,
    );
    const version = await addMigration(env.migrationsDir, round * 2 - 1);
    fleetRuns.push(await runFleetWithFreshRuntime(ctx, env.config, version));
    await addMigration(env.migrationsDir, round * 2);
    naiveRuns.push(await runNaive(ctx, dbNames, env.migrationsDir));
  }
  const newFleet = median(fleetRuns);
  const newNaive = median(naiveRuns);

  return {
    concurrency: ctx.concurrency,
    fleet: {
      tenants: dbNames.length,
      noop: { migrateFleet: noopFleet, migrateFleetVerify: noopVerify, naive: noopNaive },
      newMigration: {
        migrateFleet: newFleet,
        naive: newNaive,
        speedup: ratio(newNaive.ms, newFleet.ms),
        rounds: { migrateFleet: fleetRuns, naive: naiveRuns },
      },
    },
  };
}

/** The run with the median time (the lower middle one for an even count). */
function median(runs: FleetRun[]): FleetRun {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor((runs.length - 1) / 2)]!;
}
