import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startEnvironment } from './environment';
import { nowMs, pool, round, summarize, type LatencySummary } from './stats';

/**
 * The throttled phase: Auth0 as a tenant on a small plan, its Management API limited to
 * `limitPerSecond` calls a second for the whole tenant, and more signups than that at once.
 * The service's one Auth0 budget (src/auth0/managementBudget.ts) should turn them into 201s
 * at about the limit, 503s with Retry-After at once for those whose turn would come after
 * AUTH0_RETRY_BUDGET_MS, and about one create attempt per signup (no retry storm).
 */

export interface ThrottledOptions {
  limitPerSecond: number;
  signups: number;
  clients: number;
}

export interface ThrottledResult {
  limitPerSecond: number;
  retryBudgetMs: number;
  signups: number;
  clients: number;
  wallSeconds: number;
  created: number;
  refused: number;
  other: { status: number; count: number }[];
  /** 201s a second over the phase, and that against the limit. */
  createdPerSecond: number;
  ofLimit: number;
  createAttempts: number;
  attemptsPerSignup: number;
  tooManyRequests: number;
  created201: LatencySummary;
  timeTo503: LatencySummary | undefined;
  retryAfterSeconds: { min: number; max: number } | undefined;
}

const say = (message: string) => process.stderr.write(`bench: ${message}\n`);

export async function runThrottledBench(
  o: ThrottledOptions,
  databaseUrl?: string,
): Promise<ThrottledResult> {
  say(`throttled phase: Auth0 at ${o.limitPerSecond}/s, ${o.signups} signups from ${o.clients}`);
  const env = await startEnvironment(databaseUrl, { limit: o.limitPerSecond, windowSeconds: 1 });
  try {
    // One signup first: the token is cached and the budget has heard how the bucket stands.
    await signup(env.baseUrl, `warm ${env.runId}`);
    await fetch(`${env.emulator.url}/__emulator/stats`, { method: 'DELETE' });

    const answers: { status: number; ms: number; retryAfter: number | undefined }[] = [];
    const started = nowMs();
    await pool(o.signups, o.clients, async (i) => {
      const t0 = nowMs();
      const res = await signup(env.baseUrl, `throttled ${env.runId} ${i}`);
      const retryAfter = res.headers.get('retry-after');
      answers.push({
        status: res.status,
        ms: nowMs() - t0,
        retryAfter: retryAfter === null ? undefined : Number(retryAfter),
      });
    });
    const wallSeconds = (nowMs() - started) / 1000;

    const stats = (await (await fetch(`${env.emulator.url}/__emulator/stats`)).json()) as {
      requests: { method: string; path: string; status: number }[];
    };
    const creates = stats.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/users');
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 503);
    const others = answers.filter((a) => a.status !== 201 && a.status !== 503);
    const retryAfters = refused.map((a) => a.retryAfter ?? Number.NaN);
    const createdPerSecond = created.length / wallSeconds;
    return {
      limitPerSecond: o.limitPerSecond,
      retryBudgetMs: env.config.auth0.retryBudgetMs,
      signups: o.signups,
      clients: o.clients,
      wallSeconds: round(wallSeconds, 2),
      created: created.length,
      refused: refused.length,
      other: [...new Set(others.map((a) => a.status))].map((status) => ({
        status,
        count: others.filter((a) => a.status === status).length,
      })),
      createdPerSecond: round(createdPerSecond, 2),
      ofLimit: round(createdPerSecond / o.limitPerSecond, 2),
      createAttempts: creates.length,
      attemptsPerSignup: round(creates.length / o.signups, 2),
      tooManyRequests: creates.filter((r) => r.status === 429).length,
      created201: summarize(created.map((a) => a.ms)),
      timeTo503: refused.length > 0 ? summarize(refused.map((a) => a.ms)) : undefined,
      retryAfterSeconds:
        refused.length > 0
          ? { min: Math.min(...retryAfters), max: Math.max(...retryAfters) }
          : undefined,
    };
  } finally {
    await env.stop();
  }
}

function signup(baseUrl: string, schoolName: string): Promise<Response> {
  const slug = schoolName.replace(/\W+/g, '.');
  return fetch(`${baseUrl}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${slug}@bench.test`, password: 'Bench-Pass-9', schoolName }),
  }).then(async (res) => {
    await res.arrayBuffer();
    return res;
  });
}

export function formatThrottled(r: ThrottledResult): string {
  const ms = (s: LatencySummary | undefined) =>
    s ? `p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms (min ${s.minMs}, max ${s.maxMs})` : 'none';
  return [
    `Throttled Auth0 (${r.limitPerSecond} calls/s for the tenant, retry budget ${r.retryBudgetMs} ms): ${r.signups} signups from ${r.clients} clients in ${r.wallSeconds} s`,
    `  201: ${r.created}  503: ${r.refused}  other: ${r.other.map((o) => `${o.status}×${o.count}`).join(', ') || 'none'}`,
    `  signups/s: ${r.createdPerSecond} (${Math.round(r.ofLimit * 100)}% of the limit)`,
    `  create attempts: ${r.createAttempts} (${r.attemptsPerSignup} per signup, ${r.tooManyRequests} refused with 429)`,
    `  201 latency: ${ms(r.created201)}`,
    `  time to a 503: ${ms(r.timeTo503)}; Retry-After ${r.retryAfterSeconds ? `${r.retryAfterSeconds.min}–${r.retryAfterSeconds.max} s` : 'n/a'}`,
  ].join('\n');
}

export async function writeThrottled(r: ThrottledResult): Promise<string> {
  const dir = path.resolve(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'throttled-latest.json');
  await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), ...r }, null, 2)}\n`);
  return file;
}
