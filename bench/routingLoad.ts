import { nowMs, round, summarize, type LatencySummary } from './stats';

/**
 * Load on the school's API: `clients` workers, each sending one request after another for a
 * fixed time to a tenant a chooser picks, over real HTTP (node's fetch: keep-alive). The mix
 * is a school's app at work: mostly reading a page of students, now and then adding one.
 */

/** One school as its app sees it: a user's access token. */
export interface SchoolUser {
  dbName: string;
  token: string;
}

/** Picks the next request's school (an index into the users). */
export type Chooser = () => number;

export interface LoadRun {
  seconds: number;
  requests: number;
  ok: number;
  errors: number;
  /** Status → count (0: no answer). */
  statuses: Record<string, number>;
  /** Successful requests a second. */
  perSecond: number;
  /** Latency of the successful requests. */
  latency: LatencySummary & { p99Ms: number };
  /** Schools that got at least one request. */
  tenantsTouched: number;
}

/** In every ten requests: nine `GET /api/students?limit=20`, one `POST /api/students`. */
const POST_EVERY = 10;

/** mulberry32: a small seeded generator, so every run draws the same sequence of schools. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uniform =
  (n: number, random: () => number): Chooser =>
  () =>
    Math.floor(random() * n);

/**
 * Zipf over n schools: the school of rank k (1-based) is asked with probability ∝ 1/k^s.
 * Ranks are given in index order; the caller shuffles the users if it wants them mixed.
 * With s = 1 and 1000 schools the busiest gets 13% of the requests, the first 40 57%.
 */
export function zipf(n: number, s: number, random: () => number): Chooser {
  const cdf: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf.push((sum += 1 / k ** s));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export async function runLoad(
  baseUrl: string,
  /** One school's user's access token each. */
  tokens: readonly string[],
  choose: Chooser,
  o: { clients: number; seconds: number },
): Promise<LoadRun> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const touched = new Set<number>();
  let requests = 0;
  const started = nowMs();
  const deadline = started + o.seconds * 1000;
  const client = async () => {
    while (nowMs() < deadline) {
      const i = choose();
      touched.add(i);
      const n = requests++;
      const t0 = nowMs();
      const status = await send(baseUrl, tokens[i]!, n);
      if (status === 200 || status === 201) latencies.push(nowMs() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  const seconds = (nowMs() - started) / 1000;
  return {
    seconds: round(seconds, 2),
    requests,
    ok: latencies.length,
    errors: requests - latencies.length,
    statuses,
    perSecond: round(latencies.length / seconds),
    latency: { ...summarize(latencies), p99Ms: p99(latencies) },
    tenantsTouched: touched.size,
  };
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? Number.NaN);
}

async function send(baseUrl: string, token: string, n: number): Promise<number> {
  const authorization = `Bearer ${token}`;
  try {
    const res =
      n % POST_EVERY === POST_EVERY - 1
        ? await fetch(`${baseUrl}/api/students`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify({ firstName: `Kid ${n}`, lastName: 'Bench', grade: '3' }),
            signal: AbortSignal.timeout(30_000),
          })
        : await fetch(`${baseUrl}/api/students?limit=20`, {
            headers: { authorization },
            signal: AbortSignal.timeout(30_000),
          });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
