import { cpus, loadavg, totalmem } from 'node:os';
import { startEnvironment, type BenchEnvironment } from './environment';
import { runServersBench } from './servers';
import { measureFleet } from './measureFleet';
import { measureSignups } from './measureSignups';
import { parseOptions, type BenchOptions } from './options';
import { evaluateTargets, formatResults, writeResults, type BenchResults } from './report';
import { nowMs, round } from './stats';
import { formatThrottled, runThrottledBench, writeThrottled } from './throttled';

/**
 * `npm run bench`: signup latency and throughput against bare CREATE DATABASE, Auth0 token
 * use, migrate-all over a fleet of real tenants, and memory growth. Starts everything it
 * needs, stops everything it started, prints a table and writes bench/results/*.json.
 * Method, targets and the history of runs: bench/README.md.
 */

const say = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function measure(
  env: BenchEnvironment,
  o: BenchOptions,
  started: number,
): Promise<Omit<BenchResults, 'targets'>> {
  const loadAtStart = loadavg();
  const signups = await measureSignups(env, o, say);
  const { fleet, concurrency } = await measureFleet(env, o, say);
  const { rows } = await env.admin.raw<{ rows: { v: string }[] }>(
    "SELECT current_setting('server_version') AS v",
  );
  return {
    meta: {
      date: new Date().toISOString(),
      runId: env.runId,
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: round(totalmem() / 1024 ** 3),
      server: env.server,
      postgres: rows[0]?.v ?? 'unknown',
      unsafeFast: env.server === 'embedded' ? false : 'n/a',
      quick: o.quick,
      tenants: fleet.tenants,
      fleetConcurrency: concurrency,
      wallSeconds: Math.round((nowMs() - started) / 1000),
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
    },
    ...signups,
    fleet,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options === 'help') return;
  if (options.servers !== undefined && options.servers >= 2) {
    return runServersBench({
      servers: options.servers,
      signups: options.quick ? 60 : 200,
      clients: options.concurrentClients,
      concurrency: options.fleetConcurrency ?? 8,
      moves: options.quick ? 2 : 4,
      moveStudents: 10_000,
    });
  }
  if (options.throttled) return throttledPhase(options);
  const started = nowMs();
  say(
    `starting ${options.databaseUrl ? 'against BENCH_DATABASE_URL' : 'an embedded PostgreSQL'}, the Auth0 emulator and the service`,
  );
  const [load1] = loadavg();
  if (load1! > cpus().length / 2) {
    say(`warning: the machine is busy (load average ${load1!.toFixed(1)}); results will be noisy`);
  }
  const env = await startEnvironment(options.databaseUrl);
  // Ctrl-C still stops the server and drops the run's databases.
  const interrupted = () => {
    say('interrupted: cleaning up');
    void env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  let partial: Omit<BenchResults, 'targets'>;
  try {
    partial = await measure(env, options, started);
  } finally {
    say('stopping and cleaning up');
    await env.stop();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
  process.stdout.write(`\n${formatResults(results)}\n\n`);
  for (const file of await writeResults(results)) say(`wrote ${file}`);
  await throttledPhase(options);
}

/** Auth0 at 10 calls/s for the tenant: 100 signups from 20 clients (throttled.ts). */
async function throttledPhase(o: BenchOptions): Promise<void> {
  const result = await runThrottledBench(
    { limitPerSecond: 10, signups: 100, clients: o.concurrentClients },
    o.databaseUrl,
  );
  process.stdout.write(`\n${formatThrottled(result)}\n\n`);
  say(`wrote ${await writeThrottled(result)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
