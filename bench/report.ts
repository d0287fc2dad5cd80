import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BareThroughput } from './createDatabase';
import type { FleetRun } from './fleet';
import type { SpareUse } from './measureSignups';
import type { RoutingResult } from './routing';
import { routingRows, routingTargets } from './routingReport';
import type { SignupProfile } from './signupProfile';
import type { ConcurrentResult, RssCheckpoint } from './signups';
import { round, type LatencySummary } from './stats';

/** The results document (bench/results/*.json), the target verdicts and the printed table. */

export interface BenchResults {
  meta: {
    date: string;
    runId: string;
    node: string;
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    server: 'embedded' | 'external';
    postgres: string;
    /** Embedded server started with fsync etc. on (production durability). */
    unsafeFast: false | 'n/a';
    quick: boolean;
    tenants: number;
    fleetConcurrency: number;
    wallSeconds: number;
    /** os.loadavg() (1, 5, 15 min): other work on the machine skews every number. */
    loadAverage: { atStart: number[]; atEnd: number[] };
  };
  bareCreate: {
    sequential: LatencySummary;
    /** Measured right before and right after the concurrent signups; perSecond is their mean. */
    concurrent: { before: BareThroughput; after: BareThroughput; perSecond: number };
  };
  signup: {
    warmup: number;
    sequential: LatencySummary;
    /** Where the sequential signups' databases came from: a spare, or their own clone. */
    sequentialSpares: SpareUse;
    /** Sequential signups with no pause between them (spare refills compete with them). */
    backToBack: LatencySummary;
    backToBackSpares: SpareUse;
    /** back-to-back signup p50 / bare CREATE DATABASE p50 (reported, not a target) */
    backToBackP50Ratio: number;
    /** signup p50 / bare CREATE DATABASE p50 */
    p50Ratio: number;
    concurrent: ConcurrentResult;
    /** concurrent signups/s / concurrent bare creates/s */
    throughputRatio: number;
    fill: ConcurrentResult;
    attempted: number;
    errors: number;
    errorSamples: { status: number; code?: string }[];
    profile: SignupProfile;
  };
  tokens: { signups: number; tokenRequests: number; per100Signups: number };
  fleet: {
    tenants: number;
    noop: { migrateFleet: FleetRun; migrateFleetVerify: FleetRun; naive: FleetRun };
    /** Medians over alternating rounds; every round's runs in `rounds`. */
    newMigration: {
      migrateFleet: FleetRun;
      naive: FleetRun;
      speedup: number;
      rounds: { migrateFleet: FleetRun[]; naive: FleetRun[] };
    };
  };
  memory: {
    first: RssCheckpoint;
    afterConcurrent: RssCheckpoint;
    last: RssCheckpoint;
    /** RSS growth first → last (the target); heap growth is the steadier leak signal. */
    growthMb: number;
    heapGrowthMb: number;
  };
  /** The school's API over the fleet (routing.ts). */
  routing: RoutingResult;
  targets: Target[];
}

export interface Target {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
}

export function evaluateTargets(r: Omit<BenchResults, 'targets'>): Target[] {
  const rounds = r.fleet.newMigration.rounds;
  const fleetFailures = [
    r.fleet.noop.migrateFleet,
    r.fleet.noop.migrateFleetVerify,
    r.fleet.noop.naive,
    ...rounds.migrateFleet,
    ...rounds.naive,
  ].reduce((sum, run) => sum + run.failed, 0);
  return [
    {
      name: 'signup p50 (at rest) vs bare CREATE DATABASE p50',
      target: '≤ 1.5×',
      actual: `${r.signup.p50Ratio}× (${r.signup.sequential.p50Ms} / ${r.bareCreate.sequential.p50Ms} ms)`,
      pass: r.signup.p50Ratio <= 1.5,
    },
    {
      name: `no-op migrate-all, ${r.fleet.tenants} tenants`,
      target: '≤ 2 s',
      actual: `${r.fleet.noop.migrateFleet.ms} ms`,
      pass: r.fleet.noop.migrateFleet.ms <= 2000,
    },
    {
      name: `one new migration, ${r.fleet.tenants} tenants, vs naive loop`,
      target: '≥ 4× faster',
      actual: `${r.fleet.newMigration.speedup}× (${r.fleet.newMigration.migrateFleet.ms} vs ${r.fleet.newMigration.naive.ms} ms)`,
      pass: r.fleet.newMigration.speedup >= 4,
    },
    {
      name: 'errors (signups + tenant migrations)',
      target: '0',
      actual: `${r.signup.errors} signup, ${fleetFailures} migration`,
      pass: r.signup.errors === 0 && fleetFailures === 0,
    },
    {
      name: `RSS growth, ${r.memory.first.afterSignups} → ${r.memory.last.afterSignups} signups`,
      target: '≤ 30 MB',
      actual: `${r.memory.growthMb} MB`,
      pass: r.memory.growthMb <= 30,
    },
    ...routingTargets(r.routing),
  ];
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const lat = (l: LatencySummary) => `p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms (n=${l.samples})`;
const fleetRun = (f: FleetRun, verb = 'migrated') => {
  const reported =
    f.peakConnectionsReported === undefined ? '' : `, reported peak ${f.peakConnectionsReported}`;
  return `${f.ms} ms, ${f.migrated} ${verb}, ${f.failed} failed; peak tenant conns ${f.peakTenantBackends}${reported}`;
};

const spareRow = (u: SpareUse) =>
  `${u.fromSpare} of ${u.fromSpare + u.cloned} (the others cloned their own)`;

function profileRows(p: SignupProfile): string[][] {
  const steps = Object.entries(p.stepsMeanMs)
    .sort(([, a], [, b]) => b - a)
    .map(([step, ms]) => [`Signup step: ${step}`, `${ms} ms mean`]);
  return [
    [`Signup profile (n=${p.signups}, timed dependencies)`, `${p.total.meanMs} ms mean`],
    ...steps,
    ['Signup step: other (HTTP, validation; minus overlap)', `${p.otherMeanMs} ms mean`],
    ['Template clone alone', lat(p.templateCloneAlone)],
  ];
}

/** The results as a Markdown table (also pasted into bench/README.md). */
export function formatResults(r: BenchResults): string {
  const m = r.meta;
  const s = r.signup;
  const checkpoints = [r.memory.first, r.memory.afterConcurrent, r.memory.last];
  const rows: string[][] = [
    ['Bare CREATE DATABASE, sequential', lat(r.bareCreate.sequential)],
    ['Signup, sequential at rest (after warm-up)', lat(s.sequential)],
    [
      `… served by a spare database (${s.sequentialSpares.kept} kept)`,
      spareRow(s.sequentialSpares),
    ],
    ['Signup p50 / bare CREATE DATABASE p50', `${s.p50Ratio}×`],
    ['Signup, sequential back to back', lat(s.backToBack)],
    ['… served by a spare database', spareRow(s.backToBackSpares)],
    ['Back-to-back signup p50 / bare CREATE DATABASE p50', `${s.backToBackP50Ratio}×`],
    ...profileRows(s.profile),
    [
      `Bare CREATE DATABASE, ${r.bareCreate.concurrent.before.clients} clients × ${r.bareCreate.concurrent.before.total}`,
      `${r.bareCreate.concurrent.perSecond}/s (before ${r.bareCreate.concurrent.before.perSecond}/s, after ${r.bareCreate.concurrent.after.perSecond}/s)`,
    ],
    [
      `Signups, ${s.concurrent.clients} clients × ${s.concurrent.total}`,
      `${s.concurrent.perSecond}/s, ${s.concurrent.errors} errors, ${lat(s.concurrent.latency)}`,
    ],
    ['Signup throughput / bare CREATE DATABASE throughput', `${s.throughputRatio}×`],
    [
      `Fill to ${r.fleet.tenants} tenants (${s.fill.clients} clients × ${s.fill.total})`,
      `${s.fill.perSecond}/s, ${s.fill.errors} errors`,
    ],
    ['Signup errors (all phases)', `${s.errors} of ${s.attempted}`],
    [
      'Token requests per 100 signups',
      `${r.tokens.per100Signups} (${r.tokens.tokenRequests} for ${r.tokens.signups} signups)`,
    ],
    [`No-op migrate-all, migrateFleet`, fleetRun(r.fleet.noop.migrateFleet)],
    [
      `No-op migrate-all, migrateFleet verify (opens every tenant)`,
      fleetRun(r.fleet.noop.migrateFleetVerify, 'checked'),
    ],
    [`No-op migrate-all, naive loop`, fleetRun(r.fleet.noop.naive)],
    [`New migration, migrateFleet (median)`, fleetRun(r.fleet.newMigration.migrateFleet)],
    [`New migration, naive loop (median)`, fleetRun(r.fleet.newMigration.naive)],
    [
      `New migration, ${r.fleet.newMigration.rounds.naive.length} rounds (migrateFleet / naive ms)`,
      r.fleet.newMigration.rounds.migrateFleet
        .map((f, i) => `${f.ms} / ${r.fleet.newMigration.rounds.naive[i]?.ms}`)
        .join(', '),
    ],
    [`New migration speed-up (medians)`, `${r.fleet.newMigration.speedup}×`],
    [
      `RSS after ${checkpoints.map((c) => c.afterSignups).join(' / ')} signups`,
      `${checkpoints.map((c) => c.rssMb).join(' / ')} MB (JS heap ${checkpoints.map((c) => c.heapUsedMb).join(' / ')} MB used, ${checkpoints.map((c) => c.heapTotalMb).join(' / ')} MB committed${r.memory.first.afterGc ? ', after GC' : ', no GC available'})`,
    ],
    [
      `RSS growth ${r.memory.first.afterSignups} → ${r.memory.last.afterSignups} (JS heap growth)`,
      `${r.memory.growthMb} MB (${r.memory.heapGrowthMb} MB)`,
    ],
    ...routingRows(r.routing),
  ];
  const header =
    `${m.date}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB RAM, Node ${m.node}, ` +
    `${m.server} PostgreSQL ${m.postgres}${m.server === 'embedded' ? ' (fsync on)' : ''}, ` +
    `${m.tenants} tenants, migrateFleet concurrency ${m.fleetConcurrency}, ` +
    `${m.quick ? 'quick run, ' : ''}${m.wallSeconds} s in all, ` +
    `1-min load average ${m.loadAverage.atStart[0]?.toFixed(2)} at start, ${m.loadAverage.atEnd[0]?.toFixed(2)} at end`;
  return [
    header,
    '',
    table(['Measurement', 'Result'], rows),
    '',
    table(
      ['Target', 'Goal', 'Actual', 'Verdict'],
      r.targets.map((t) => [t.name, t.target, t.actual, t.pass ? 'PASS' : 'FAIL']),
    ),
  ].join('\n');
}

export async function writeResults(r: BenchResults): Promise<string[]> {
  const dir = path.resolve(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const stamp = r.meta.date.replace(/[:.]/g, '-');
  const files = [path.join(dir, 'latest.json'), path.join(dir, `bench-${stamp}.json`)];
  const json = `${JSON.stringify(r, null, 2)}\n`;
  for (const file of files) await writeFile(file, json);
  return files;
}

export const ratio = (a: number, b: number): number => round(a / b, 2);
