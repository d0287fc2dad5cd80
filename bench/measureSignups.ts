import type { SpareStats } from '../src/tenants/provisioning/sparePool';
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

/** How the sequential signups got their databases (spares: src/tenants/provisioning/sparePool.ts). */
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

  // First the signups before the first RSS reading, as they always were: concurrent ones
  // (V8 sizes its heap for that load, as for the fill before the last reading), a sequential
  // warm-up, then signups back to back. Back to back, each signup waits for the spare the
  // previous one set refilling: that figure is the clone rate, i.e. throughput (measured
  // against bare creates by the concurrent phase), and is reported beside the latency.
  say(
    `${o.warmupConcurrentSignups} + ${o.warmupSignups} warm-up signups, ${o.backToBackSignups} back to back, the first RSS reading, then ${o.sequentialSignups} at rest with ${o.bareSamples} bare CREATE DATABASEs between them`,
  );
  const { provisioner } = env.service.servers.default;
  const sparesIdle = async () => provisioner.spares?.idle();
  const spareStats = () => provisioner.spares?.stats();
  await driver.concurrent(o.warmupConcurrentSignups, o.concurrentClients);
  await driver.sequential(o.warmupSignups);
  await sparesIdle();
  const beforeBackToBack = spareStats();
  const backToBack = await driver.sequential(o.backToBackSignups);
  const backToBackSpares = spareUse(beforeBackToBack, spareStats());
  const first = await rssCheckpoint(driver);

  // Latency is measured at rest: before each signup (and each bare CREATE DATABASE
  // interleaved with them, so both see the same disk from minute to minute) the service
  // finishes making spare databases, as it has between signups arriving at any realistic
  // rate; a background clone would otherwise slow the bare creates (flattering the ratio)
  // or the signup.
  const bare = await BareCreates.open(env.adminUrl, env.runId);
  const bareMs: number[] = [];
  let sequential: Awaited<ReturnType<SignupDriver['sequential']>>;
  let sequentialSpares: SpareUse;
  try {
    for (let i = 0; i < 3; i++) await bare.sample();
    const every = Math.max(1, Math.floor(o.sequentialSignups / o.bareSamples));
    const before = spareStats();
    sequential = await driver.sequential(o.sequentialSignups, async (i) => {
      await sparesIdle();
      if (i % every === 0 && bareMs.length < o.bareSamples) {
        bareMs.push(await bare.sample());
        await sparesIdle();
      }
    });
    sequentialSpares = spareUse(before, spareStats());
  } finally {
    await bare.close();
  }
  const bareSequential = summarize(bareMs);

  say('signup profile: time per step, template clone alone');
  const profile = await profileSignup(env, driver, o.quick ? 10 : 20);

  // Bare throughput is measured right before and right after the concurrent signups.
  const bareThroughput = async (when: string) => {
    await sparesIdle();
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
      sequentialSpares: { ...sequentialSpares, kept: env.config.tenants.spareDatabases },
      backToBack: backToBack.latency,
      backToBackSpares: { ...backToBackSpares, kept: env.config.tenants.spareDatabases },
      backToBackP50Ratio: ratio(backToBack.latency.p50Ms, bareSequential.p50Ms),
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
