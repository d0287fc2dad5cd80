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

export async function measureSignups(
  env: BenchEnvironment,
  o: BenchOptions,
  say: (message: string) => void,
): Promise<SignupSections> {
  const driver = new SignupDriver(env.baseUrl, env.runId);
  const tokens = () => env.emulator.tokenRequestCount();
  const tokensBefore = await tokens();

  // Bare creates are interleaved with the sequential signups, so both see the same server
  // state (checkpoints, other load on the machine) rather than two different moments.
  say(
    `${o.warmupConcurrentSignups} + ${o.warmupSignups} warm-up signups, then ${o.sequentialSignups} sequential, ${o.bareSamples} bare CREATE DATABASEs between them`,
  );
  const bare = await BareCreates.open(env.adminUrl, env.runId);
  const bareMs: number[] = [];
  let sequential: Awaited<ReturnType<SignupDriver['sequential']>>;
  try {
    for (let i = 0; i < 3; i++) await bare.sample();
    await driver.concurrent(o.warmupConcurrentSignups, o.concurrentClients);
    await driver.sequential(o.warmupSignups);
    const every = Math.max(1, Math.floor(o.sequentialSignups / o.bareSamples));
    sequential = await driver.sequential(o.sequentialSignups, async (i) => {
      if (i % every === 0 && bareMs.length < o.bareSamples) bareMs.push(await bare.sample());
    });
  } finally {
    await bare.close();
  }
  const bareSequential = summarize(bareMs);
  const first = await rssCheckpoint(driver);

  say('signup profile: time per step, template clone alone');
  const profile = await profileSignup(env, driver, o.quick ? 10 : 20);

  // Bare throughput is measured right before and right after the concurrent signups.
  const bareThroughput = (when: string) => {
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
