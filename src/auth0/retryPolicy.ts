import { Auth0UnavailableError } from '../errors';

/**
 * Retries for calls to Auth0: 429, 5xx and network errors are retried with exponential
 * backoff (full jitter), waiting at least as long as Auth0 asks (Retry-After or
 * x-ratelimit-reset), and never beyond a total time budget — then 503 with Retry-After.
 */

/** `paced`: the caller's queue already waits as Auth0 asked (managementBudget.ts): no backoff. */
export type Attempt<T> =
  | { kind: 'done'; value: T }
  | { kind: 'retry'; reason: string; retryAfterMs?: number; paced?: boolean };

export interface RetryOptions {
  budgetMs: number;
  /** When the budget started (default: now), e.g. when a signup was admitted. */
  startedAt?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  options: RetryOptions,
): Promise<T> {
  const { budgetMs, baseDelayMs = 200, maxDelayMs = 5_000 } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const started = options.startedAt ?? now();

  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome.kind === 'done') return outcome.value;

    const backoff = outcome.paced ? 0 : random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1));
    const delay = Math.max(backoff, outcome.retryAfterMs ?? 0);
    if (now() - started + delay > budgetMs) {
      const suggested = Math.max(outcome.retryAfterMs ?? 0, 1_000);
      throw new Auth0UnavailableError(suggested / 1000, outcome.reason);
    }
    await sleep(delay);
  }
}

/** How long Auth0 asked us to wait, from Retry-After (seconds or date) or x-ratelimit-reset. */
export function retryAfterMs(
  headers: Record<string, unknown>,
  now: number = Date.now(),
): number | undefined {
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}
