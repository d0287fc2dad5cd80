import { parseArgs } from 'node:util';

/** Command line and environment of `npm run bench`. */

export interface BenchOptions {
  quick: boolean;
  /** Tenants that exist when migrate-all is measured (created by real signups). */
  tenants: number;
  /**
   * Signups from `concurrentClients` clients first: pools, JIT, token cache and V8's heap
   * sizing reach the state later phases run in. V8 grows its committed heap for concurrent
   * load and gives it back in quiet moments, so RSS readings are only comparable when
   * taken after the same kind of load: the last one follows the concurrent fill, the first
   * one these signups (then the warm-up and the back-to-back signups, no pauses).
   */
  warmupConcurrentSignups: number;
  /** Sequential signups after the concurrent ones, before anything is measured. */
  warmupSignups: number;
  /**
   * Sequential signups back to back; warm-up + these = the first RSS reading (100). Reported:
   * each waits for the spare the previous one set refilling.
   */
  backToBackSignups: number;
  /** Sequential signups measured at rest, after the first RSS reading. */
  sequentialSignups: number;
  /** Bare CREATE DATABASE samples, sequential (after a few warm-up creates). */
  bareSamples: number;
  concurrentClients: number;
  concurrentSignups: number;
  /** Bare CREATE DATABASEs for the throughput comparison (same client count). */
  concurrentBareCreates: number;
  /** Alternating rounds of "one new migration" (migrateFleet, then the naive loop). */
  migrationRounds: number;
  /** Tenants migrated at once by migrateFleet (default: the service's own default). */
  fleetConcurrency: number | undefined;
  /** Another PostgreSQL server instead of the embedded one (its databases are cleaned up). */
  databaseUrl: string | undefined;
  /** With 2 or more: the multi-server run instead (servers.ts). */
  servers: number | undefined;
  /** Only the throttled-Auth0 phase (throttled.ts), which the full run also ends with. */
  throttled: boolean;
  /** Fill to `tenants` with signups, then only the school's API phase (routing.ts). */
  routingOnly: boolean;
  /** How long each of the school's API mixes runs (one hot school, uniform, Zipf). */
  routingSeconds: number;
  routingWarmupSeconds: number;
}

const USAGE = `Usage: npm run bench -- [--quick] [--tenants N] [--fleet-concurrency N] [--servers N]

  --quick                 smoke run: 100 tenants and fewer samples
  --servers N             tenants on N embedded servers instead: signups, fleet, moves (N ≥ 2)
  --throttled             only the throttled phase: Auth0 at 10 calls/s, 100 signups from 20 clients
  --routing-only          fill to N tenants, then only the school's API phase (routing, naive pools)
  --tenants N             tenants for the migrate-all measurement (default 1000, or BENCH_TENANTS)
  --fleet-concurrency N   migrateFleet concurrency (default TENANT_MIGRATION_CONCURRENCY's default)

BENCH_DATABASE_URL=postgres://user@host:5432/db uses that server instead of an embedded one.
`;

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      tenants: { type: 'string' },
      'fleet-concurrency': { type: 'string' },
      servers: { type: 'string' },
      throttled: { type: 'boolean' },
      'routing-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 'help';
  }
  const quick = values.quick === true;
  const tenants =
    positive('--tenants', values.tenants) ??
    positive('BENCH_TENANTS', env.BENCH_TENANTS) ??
    (quick ? 100 : 1000);
  return {
    quick,
    tenants,
    warmupConcurrentSignups: quick ? 10 : 40,
    warmupSignups: quick ? 3 : 5,
    // Warm-up + sequential = the first RSS checkpoint (30 or 100 signups).
    sequentialSignups: quick ? 17 : 55,
    backToBackSignups: quick ? 17 : 55,
    bareSamples: quick ? 8 : 25,
    concurrentClients: 20,
    concurrentSignups: quick ? 60 : 200,
    concurrentBareCreates: quick ? 60 : 200,
    migrationRounds: quick ? 1 : 3,
    fleetConcurrency: positive('--fleet-concurrency', values['fleet-concurrency']),
    databaseUrl: env.BENCH_DATABASE_URL?.trim() || undefined,
    servers: positive('--servers', values.servers),
    throttled: values.throttled === true,
    routingOnly: values['routing-only'] === true,
    routingSeconds: quick ? 4 : 12,
    routingWarmupSeconds: quick ? 1 : 3,
  };
}
