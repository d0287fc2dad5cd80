import { Client } from 'pg';
import { EMULATOR_PUBLIC_CLIENT_ID, PASSWORD_REALM_GRANT } from '@tenant-signup/auth0-emulator';
import { DEFAULT_APPLICATION_NAME } from '../src/tenants/pools/tenantPools';
import type { BenchEnvironment } from './environment';
import { tenantDatabases } from './fleet';
import { runNaivePools, type NaiveResult } from './naivePools';
import { ratio } from './report';
import { startLoadProcess, type LoadProcess, type Mix } from './loadProcess';
import { startSampler } from './connectionSampler';
import { seededRandom, type LoadRun, type SchoolUser } from './routingLoad';
import { SIGNUP_PASSWORD, signupEmail } from './signups';
import { nowMs, pool, round } from './stats';

/**
 * The school's API over the fleet the signups made: every school's user logs in, then
 * `clients` clients send requests for a fixed time to one hot school, to all of them
 * uniformly, and to all of them in a Zipf mix (a few busy, most idle), through the tenant
 * pools' one cap per server; then the naive loop (a pool per tenant, never closed) runs into
 * max_connections. Method and targets: bench/README.md.
 */

export interface RoutingOptions {
  /** The bench's signups so far: users 1..signups of the SignupDriver log in. */
  signups: number;
  clients: number;
  /** Each measured mix runs this long. */
  seconds: number;
  warmupSeconds: number;
}

export interface RoutingPhase extends LoadRun {
  /** Most tenant-API connections pg_stat_activity showed while it ran. */
  peakTenantConnections: number;
  peakClientBackends: number;
  /** Counters of the service's pools (service.pools.stats()) over the phase. */
  evictions: number;
  idleClosed: number;
  timeouts: number;
}

export interface RoutingResult {
  tenants: number;
  clients: number;
  /** TENANT_POOL_MAX_CONNECTIONS and _MAX_PER_TENANT of the service under test. */
  cap: number;
  maxPerTenant: number;
  logins: { ok: number; failed: number; ms: number };
  seededStudentsPerTenant: number;
  zipfExponent: number;
  hot: RoutingPhase;
  uniform: RoutingPhase;
  zipf: RoutingPhase;
  /** Throughput over all schools / the hot school's (the 70% target is judged on Zipf). */
  zipfOfHot: number;
  uniformOfHot: number;
  /** Highest of the phases' pg_stat_activity peaks, and the pools' own count of slots. */
  peakTenantConnections: number;
  poolsPeakOpen: number;
  naive: NaiveResult | { skipped: string };
  /** Requests to random schools once the naive pools were closed: the service recovered. */
  afterNaive: { requests: number; ok: number };
}

const SEED_STUDENTS = 20;
const ZIPF_S = 1;

type Say = (message: string) => void;

export async function measureRouting(
  env: BenchEnvironment,
  o: RoutingOptions,
  say: Say,
): Promise<RoutingResult> {
  say(`routing: ${o.signups} school users log in (password-realm grant)`);
  const loginStarted = nowMs();
  // Only schools the catalog has ready: a signup that failed may have left an Auth0 user.
  const ready = new Set(await tenantDatabases(env.service.catalog));
  const users = (await logIn(env, o.signups)).filter((u) => ready.has(u.dbName));
  const logins = { ok: users.length, failed: o.signups - users.length, ms: nowMs() - loginStarted };
  say(`routing: ${SEED_STUDENTS} students into each of ${users.length} schools`);
  await seed(env, users);

  // Shuffled once with a fixed seed: Zipf's busiest schools are spread over the signup order,
  // and the hot school is the Zipf mix's busiest.
  const random = seededRandom(20261204);
  for (let i = users.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const n = users.length;
  const load = startLoadProcess(
    env.baseUrl,
    users.map((u) => u.token),
  );
  try {
    const phase = (name: string, mix: Mix, seconds = o.seconds) =>
      runPhase(env, load, mix, { clients: o.clients, seconds }, say, name);
    await phase('warm-up (uniform)', { kind: 'uniform', seed: 1 }, o.warmupSeconds);
    const hot = await phase('one hot school', { kind: 'hot' });
    const uniformRun = await phase(`uniform over ${n}`, { kind: 'uniform', seed: 2 });
    const zipfMix: Mix = { kind: 'zipf', s: ZIPF_S, seed: 3 };
    const zipfRun = await phase(`Zipf s=${ZIPF_S} over ${n}`, zipfMix);
    const poolServers = Object.values(env.service.pools.stats().servers);
    const poolsPeakOpen = Math.max(...poolServers.map((s) => s.peakOpen));

    const naive = await naiveLoop(env, users, say);
    say('routing: a second of requests to random schools after the naive pools closed');
    // Backends of the closed pools may still be exiting: a moment for them to go.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await load.run({ mix: { kind: 'uniform', seed: 4 }, clients: 4, seconds: 1 });
    return result(o, env, users, logins, { hot, uniformRun, zipfRun, poolsPeakOpen, naive, after });
  } finally {
    await load.stop();
  }
}

function result(
  o: RoutingOptions,
  env: BenchEnvironment,
  users: readonly SchoolUser[],
  logins: RoutingResult['logins'],
  m: {
    hot: RoutingPhase;
    uniformRun: RoutingPhase;
    zipfRun: RoutingPhase;
    poolsPeakOpen: number;
    naive: RoutingResult['naive'];
    after: LoadRun;
  },
): RoutingResult {
  const { cap, maxPerTenant } = capOf(env);
  const { hot, uniformRun, zipfRun } = m;
  return {
    tenants: users.length,
    clients: o.clients,
    cap,
    maxPerTenant,
    logins: { ...logins, ms: round(logins.ms) },
    seededStudentsPerTenant: SEED_STUDENTS,
    zipfExponent: ZIPF_S,
    hot,
    uniform: uniformRun,
    zipf: zipfRun,
    zipfOfHot: ratio(zipfRun.perSecond, hot.perSecond),
    uniformOfHot: ratio(uniformRun.perSecond, hot.perSecond),
    peakTenantConnections: Math.max(
      hot.peakTenantConnections,
      uniformRun.peakTenantConnections,
      zipfRun.peakTenantConnections,
    ),
    poolsPeakOpen: m.poolsPeakOpen,
    naive: m.naive,
    afterNaive: { requests: m.after.requests, ok: m.after.ok },
  };
}

function capOf(env: BenchEnvironment) {
  const { maxConnectionsPerServer: cap, maxPerTenant } = env.config.tenantPools;
  return { cap, maxPerTenant };
}

/** Each school's owner logs in as the school's app would; the token names the school. */
async function logIn(env: BenchEnvironment, signups: number): Promise<SchoolUser[]> {
  const users: (SchoolUser | undefined)[] = [];
  await pool(signups, 8, async (i) => {
    const res = await fetch(`${env.emulator.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: PASSWORD_REALM_GRANT,
        realm: env.config.auth0.connection,
        username: signupEmail(env.runId, i + 1),
        password: SIGNUP_PASSWORD,
        audience: env.config.api.audience,
        client_id: EMULATOR_PUBLIC_CLIENT_ID,
      }),
    });
    if (!res.ok) return void (await res.arrayBuffer()); // a signup that failed: no user
    const { access_token: token } = (await res.json()) as { access_token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const dbName = claims[env.config.api.tenantClaim];
    if (typeof dbName === 'string') users[i] = { dbName, token };
  });
  return users.filter((u): u is SchoolUser => u !== undefined);
}

/** A class's worth of students in every school, on plain connections (not the API's pools). */
async function seed(env: BenchEnvironment, users: readonly SchoolUser[]): Promise<void> {
  const server = env.service.servers.default;
  await pool(users.length, 4, async (i) => {
    const client = new Client({ connectionString: server.urlOf(users[i]!.dbName) });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO students (first_name, last_name, grade)
         SELECT 'Kid ' || g, 'Seed', (1 + g % 6)::text FROM generate_series(1, $1) g`,
        [SEED_STUDENTS],
      );
    } finally {
      await client.end();
    }
  });
}

async function runPhase(
  env: BenchEnvironment,
  load: LoadProcess,
  mix: Mix,
  o: { clients: number; seconds: number },
  say: Say,
  name: string,
): Promise<RoutingPhase> {
  say(`routing: ${name}, ${o.clients} clients, ${o.seconds} s`);
  const before = env.service.pools.stats();
  const stopSampler = await startSampler(env.adminUrl, {
    applicationName: DEFAULT_APPLICATION_NAME,
  });
  const run = await load.run({ mix, ...o });
  const peak = await stopSampler();
  const after = env.service.pools.stats();
  return {
    ...run,
    peakTenantConnections: peak.tenant,
    peakClientBackends: peak.total,
    evictions: after.evictions - before.evictions,
    idleClosed: after.idleClosed - before.idleClosed,
    timeouts: after.timeouts - before.timeouts,
  };
}

/**
 * The naive loop, on the embedded server only: on BENCH_DATABASE_URL's server it would
 * refuse every other client of that server for a moment.
 */
async function naiveLoop(
  env: BenchEnvironment,
  users: readonly SchoolUser[],
  say: Say,
): Promise<RoutingResult['naive']> {
  if (env.server !== 'embedded') return { skipped: 'not run against a shared server' };
  say('routing: the naive loop, a pg.Pool per tenant never closed, until max_connections');
  // Opened before the loop: once the server is full it would refuse this one too.
  const counter = new Client({ connectionString: env.adminUrl, application_name: 'bench naive' });
  await counter.connect();
  try {
    const { rows } = await counter.query<{ n: number }>(
      "SELECT current_setting('max_connections')::int AS n",
    );
    const server = env.service.servers.default;
    return await runNaivePools(
      users.map((u) => server.urlOf(u.dbName)),
      async () =>
        (
          await counter.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'",
          )
        ).rows[0]!.n,
      rows[0]!.n,
    );
  } finally {
    await counter.end();
  }
}
