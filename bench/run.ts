import { cpus, loadavg, totalmem } from 'node:os';
import { startEnvironment, type BenchEnvironment } from './environment';
import { runServersBench } from './servers';
import { measureFleet } from './measureFleet';
import { measureSignups } from './measureSignups';
import { parseOptions, type BenchOptions } from './options';
import { evaluateTargets, formatResults, table, writeResults, type BenchResults } from './report';
import { measureRouting, type RoutingOptions } from './routing';
import { routingRows, routingTargets, writeRouting } from './routingReport';
import { SignupDriver } from './signups';
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
  // After the fleet phases (and the last RSS reading), on the tenants they leave.
  const routing = await measureRouting(env, routingOptions(o, signups.signup.attempted), say);
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
    routing,
  };
}

const routingOptions = (o: BenchOptions, signups: number): RoutingOptions => ({
  signups,
  clients: o.concurrentClients,
  seconds: o.routingSeconds,
  warmupSeconds: o.routingWarmupSeconds,
});

/** Starts the environment, runs `work`, and stops everything, also on failure and Ctrl-C. */
async function withEnvironment<T>(o: BenchOptions, work: (env: BenchEnvironment) => Promise<T>) {
  const [load1] = loadavg();
  if (load1! > cpus().length / 2) {
    say(`warning: the machine is busy (load average ${load1!.toFixed(1)}); results will be noisy`);
  }
  const env = await startEnvironment(o.databaseUrl);
  // Ctrl-C still stops the server and drops the run's databases.
  const interrupted = () => {
    say('interrupted: cleaning up');
    void env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await work(env);
  } finally {
    say('stopping and cleaning up');
    await env.stop();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** --routing-only: real signups up to N tenants, then the school's API phase alone. */
async function routingOnly(o: BenchOptions): Promise<void> {
  const loadAtStart = loadavg();
  const started = nowMs();
  const routing = await withEnvironment(o, async (env) => {
    say(`${o.tenants} signups, ${o.concurrentClients} clients`);
    const driver = new SignupDriver(env.baseUrl, env.runId);
    const fill = await driver.concurrent(o.tenants, o.concurrentClients);
    if (fill.errors > 0) say(`${fill.errors} signups failed; their schools are left out`);
    return measureRouting(env, routingOptions(o, driver.attempted), say);
  });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim()}`,
    server: o.databaseUrl ? 'external' : 'embedded',
    wallSeconds: Math.round((nowMs() - started) / 1000),
    loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
  };
  const targets = routingTargets(routing);
  process.stdout.write(
    [
      '',
      `${meta.date}: ${meta.cpus}, Node ${meta.node}, ${meta.server} PostgreSQL, routing only, ${meta.wallSeconds} s, 1-min load average ${loadAtStart[0]?.toFixed(2)} at start, ${meta.loadAverage.atEnd[0]?.toFixed(2)} at end`,
      '',
      table(['Measurement', 'Result'], routingRows(routing)),
      '',
      table(
        ['Target', 'Goal', 'Actual', 'Verdict'],
        targets.map((t) => [t.name, t.target, t.actual, t.pass ? 'PASS' : 'FAIL']),
      ),
      '',
      '',
    ].join('\n'),
  );
  say(`wrote ${await writeRouting(routing, meta)}`);
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
  if (options.routingOnly) return routingOnly(options);
  const started = nowMs();
  say(
    `starting ${options.databaseUrl ? 'against BENCH_DATABASE_URL' : 'an embedded PostgreSQL'}, the Auth0 emulator and the service`,
  );
  const partial = await withEnvironment(options, (env) => measure(env, options, started));
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
