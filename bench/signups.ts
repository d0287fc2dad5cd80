import { memoryAfterGc, nowMs, pool, summarize, type LatencySummary } from './stats';

/**
 * Real signups over HTTP (node's fetch: undici, keep-alive), each with a unique school and
 * e-mail carrying the run id. Counts every outcome; anything but 201 is an error.
 */

export interface SignupOutcome {
  status: number;
  /** The error body's code, or the network error's message. */
  code?: string;
  ms: number;
}

/** The owner's e-mail of the driver's n-th signup (1-based): they log in with it later. */
export const signupEmail = (runId: string, n: number): string =>
  `owner${String(n).padStart(6, '0')}@bench-${runId}.example.com`;
export const SIGNUP_PASSWORD = 'Bench-passw0rd';

export class SignupDriver {
  /** Signups attempted so far (also the next school's number). */
  attempted = 0;
  errors: { status: number; code?: string }[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly runId: string,
  ) {}

  async signUp(): Promise<SignupOutcome> {
    const n = ++this.attempted;
    const started = nowMs();
    let outcome: SignupOutcome;
    try {
      const res = await fetch(`${this.baseUrl}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: signupEmail(this.runId, n),
          password: SIGNUP_PASSWORD,
          schoolName: `Bench ${this.runId} School ${String(n).padStart(6, '0')}`,
        }),
        signal: AbortSignal.timeout(120_000),
      });
      const body = (await res.json()) as { error?: { code?: string } };
      outcome = { status: res.status, code: body.error?.code, ms: nowMs() - started };
    } catch (error) {
      outcome = { status: 0, code: String(error), ms: nowMs() - started };
    }
    if (outcome.status !== 201) this.errors.push({ status: outcome.status, code: outcome.code });
    return outcome;
  }

  /**
   * `count` signups one after another; latencies of the successful ones. `before(i)` runs
   * (untimed) before signup i, to interleave other samples under the same conditions.
   */
  async sequential(
    count: number,
    before?: (i: number) => Promise<void>,
  ): Promise<{ latency: LatencySummary; errors: number }> {
    const latencies: number[] = [];
    let errors = 0;
    for (let i = 0; i < count; i++) {
      await before?.(i);
      const outcome = await this.signUp();
      if (outcome.status === 201) latencies.push(outcome.ms);
      else errors++;
    }
    return { latency: summarize(latencies), errors };
  }

  /** `total` signups spread over `clients` concurrent clients. */
  async concurrent(total: number, clients: number): Promise<ConcurrentResult> {
    const latencies: number[] = [];
    let errors = 0;
    const started = nowMs();
    await pool(total, clients, async () => {
      const outcome = await this.signUp();
      if (outcome.status === 201) latencies.push(outcome.ms);
      else errors++;
    });
    const wallMs = nowMs() - started;
    return {
      total,
      clients,
      errors,
      wallMs: Math.round(wallMs),
      perSecond: Math.round(((total - errors) / wallMs) * 1000 * 10) / 10,
      latency: summarize(latencies),
    };
  }
}

export interface ConcurrentResult {
  total: number;
  clients: number;
  errors: number;
  wallMs: number;
  /** Successful signups per second. */
  perSecond: number;
  latency: LatencySummary;
}

export interface RssCheckpoint {
  afterSignups: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  afterGc: boolean;
}

export async function rssCheckpoint(driver: SignupDriver): Promise<RssCheckpoint> {
  return { afterSignups: driver.attempted, ...(await memoryAfterGc()) };
}
