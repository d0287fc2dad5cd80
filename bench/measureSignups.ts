import type { SpareStats } from '../src/tenants/sparePool';
import { BareCreates, bareCreateThroughput } from './createDatabase';
import type { BenchEnvironment } from './environment';
import type { BenchOptions } from './options';
import { ratio, type BenchResults } from './report';
import { profileSignup } from './signupProfile';
import { rssCheckpoint, SignupDriver } from './signups';
import { round, summarize } from './stats';

/**
 * Signups against bare CREATE DATABASE: sequential latency, a per-step profile, concurrent
 * throughput, then enough further signups to leave `o.tenants` tenants for migrate-all.
 * Token requests and RSS are read across the whole sequence.
 */

type SignupSections = Pick<BenchResults, 'bareCreate' | 'signup' | 'tokens' | 'memory'>;

/** How the sequential signups got their databases (spares: src/tenants/sparePool.ts). */
export interface SpareUse {
  /** TENANT_SPARE_DATABASES of the service (0: every signup clones). */
  kept: number;
  fromSpare: number;
  cloned: number;
}

function spareUse(before: SpareStats | undefined, after: SpareStats | undefined): SpareUse {
  return {
    kept: 0,
    fromSpare: (after?.served ?? 0) - (before?.served ?? 0),
    cloned: (after?.missed ?? 0) - (before?.missed ?? 0),
  };
}

export async function measureSignups(
  env: BenchEnvironment,
  o: BenchOptions,
  say: (message: string) => void,
): Promise<SignupSections> {
  const driver = new SignupDriver(env.baseUrl, env.runId);
  const tokens = () => env.emulator.tokenRequestCount();
  const tokensBefore = await tokens();

  // Bare creates are measured in two blocks, right before and right after the sequential
  // signups, so both see nearly the same server state (disk speed here varies by the
  // minute). Each block waits until the service is making no spare database: a background
  // clone would slow the bare creates and flatter the ratio. The signups themselves run back
  // to back, so refilling the spares competes with them as it would under that load.
  say(
    `${o.warmupConcurrentSignups} + ${o.warmupSignups} warm-up signups, then ${o.sequentialSignups} sequential between two blocks of bare CREATE DATABASEs (${o.bareSamples} in all)`,
  );
  const { tenants } = env.service;
  const bare = await BareCreates.open(env.adminUrl, env.runId);
  const bareMs: number[] = [];
  const bareBlock = async (count: number) => {
    await tenants.sparesIdle();
    for (let i = 0; i < count; i++) bareMs.push(await bare.sample());
  };
  let sequential: Awaited<ReturnType<SignupDriver['sequential']>>;
  let spares: SpareUse;
  try {
    for (let i = 0; i < 3; i++) await bare.sample();
    await driver.concurrent(o.warmupConcurrentSignups, o.concurrentClients);
    await driver.sequential(o.warmupSignups);
    await bareBlock(Math.ceil(o.bareSamples / 2));
    await tenants.sparesIdle();
    const before = tenants.spareStats();
    sequential = await driver.sequential(o.sequentialSignups);
    spares = spareUse(before, tenants.spareStats());
    await bareBlock(Math.floor(o.bareSamples / 2));
  } finally {
    await bare.close();
  }
  const bareSequential = summarize(bareMs);
  const first = await rssCheckpoint(driver);

  say('signup profile: time per step, template clone alone');
  const profile = await profileSignup(env, driver, o.quick ? 10 : 20);

  // Bare throughput is measured right before and right after the concurrent signups.
  const bareThroughput = async (when: string) => {
    await tenants.sparesIdle();
    say(`bare CREATE DATABASE × ${o.concurrentBareCreates}, ${o.concurrentClients} clients`);
    return bareCreateThroughput(
      env.adminUrl,
      `bench_bare_${env.runId}_${when}`,
      o.concurrentBareCreates,
      o.concurrentClients,
    );
  };
  const bareBefore = await bareThroughput('before');
  say(`${o.concurrentSignups} signups, ${o.concurrentClients} clients`);
  const concurrent = await driver.concurrent(o.concurrentSignups, o.concurrentClients);
  const bareAfter = await bareThroughput('after');
  // A reading in between shows how far RSS moves without any growth in live data.
  const afterConcurrent = await rssCheckpoint(driver);
  const barePerSecond = round((bareBefore.perSecond + bareAfter.perSecond) / 2);

  const fillCount = Math.max(0, o.tenants - driver.attempted);
  say(`${fillCount} more signups to reach ${o.tenants} tenants, ${o.concurrentClients} clients`);
  const fill = await driver.concurrent(fillCount, o.concurrentClients);
  const last = await rssCheckpoint(driver);
  const tokenRequests = (await tokens()) - tokensBefore;

  return {
    bareCreate: {
      sequential: bareSequential,
      concurrent: { before: bareBefore, after: bareAfter, perSecond: barePerSecond },
    },
    signup: {
      warmup: o.warmupConcurrentSignups + o.warmupSignups,
      sequential: sequential.latency,
      sequentialSpares: { ...spares, kept: env.config.tenantSpareDatabases },
      p50Ratio: ratio(sequential.latency.p50Ms, bareSequential.p50Ms),
      concurrent,
      throughputRatio: ratio(concurrent.perSecond, barePerSecond),
      fill,
      attempted: driver.attempted,
      errors: driver.errors.length,
      errorSamples: driver.errors.slice(0, 10),
      profile,
    },
    tokens: {
      signups: driver.attempted,
      tokenRequests,
      per100Signups: round((tokenRequests / driver.attempted) * 100, 2),
    },
    memory: {
      first,
      afterConcurrent,
      last,
      growthMb: round(last.rssMb - first.rssMb),
      heapGrowthMb: round(last.heapUsedMb - first.heapUsedMb),
    },
  };
}
