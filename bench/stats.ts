import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Small numeric helpers shared by the benchmark pieces. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    samples: samples.length,
    p50Ms: round(percentile(samples, 50)),
    p95Ms: round(percentile(samples, 95)),
    minMs: round(Math.min(...samples)),
    maxMs: round(Math.max(...samples)),
    meanMs: round(sum / samples.length),
  };
}

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export const nowMs = (): number => performance.now();

/** Runs `fn` and returns its result with the elapsed wall-clock milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = nowMs();
  const value = await fn();
  return { value, ms: nowMs() - started };
}

/**
 * Runs `task(i)` for i in [0, total) with `concurrency` workers pulling the next index, so
 * a slow task never leaves a worker idle. Resolves when every task has settled.
 */
export async function pool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
}

/**
 * A full garbage collection, so RSS readings compare live memory rather than garbage not yet
 * collected. `--expose-gc` is switched on at run time (no re-spawn needed); if that is ever
 * refused, readings are taken without a GC and say so.
 */
const collect: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  /** Heap V8 has committed, used or not (it grows with load and is slow to give back). */
  heapTotalMb: number;
  /** C++ objects bound to JS, Buffers included (off the JS heap, inside RSS). */
  externalMb: number;
  afterGc: boolean;
}

export async function memoryAfterGc(): Promise<MemorySample> {
  if (collect) {
    // Two passes with a tick between them let finalizers and weak callbacks run.
    collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    collect();
  }
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mb = (n: number) => round(n / 1024 / 1024);
  return {
    rssMb: mb(rss),
    heapUsedMb: mb(heapUsed),
    heapTotalMb: mb(heapTotal),
    externalMb: mb(external),
    afterGc: collect !== undefined,
  };
}
