import type { RateLimitOptions } from './types';

// Token buckets by key, like Auth0's Management API limits (a burst of `limit`, refilled
// evenly over `windowSeconds`; the Management API uses one key, the tenant). The numbers feed
// Auth0's x-ratelimit-* headers: reset is when the bucket is full again, in epoch seconds.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds at which the bucket is full again (x-ratelimit-reset). */
  resetAt: number;
  /** Seconds until the next request may pass (retry-after), when refused. */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(options.limit >= 1) || !(options.windowSeconds > 0)) {
      throw new Error('rateLimit needs limit >= 1 and windowSeconds > 0');
    }
    this.refillPerMs = options.limit / (options.windowSeconds * 1000);
  }

  take(key: string): RateDecision {
    const nowMs = this.now();
    const { limit } = this.options;
    const bucket = this.buckets.get(key) ?? { tokens: limit, updatedMs: nowMs };
    bucket.tokens = Math.min(limit, bucket.tokens + (nowMs - bucket.updatedMs) * this.refillPerMs);
    bucket.updatedMs = nowMs;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    const msUntilFull = (limit - bucket.tokens) / this.refillPerMs;
    const msUntilNext = allowed ? 0 : (1 - bucket.tokens) / this.refillPerMs;
    return {
      allowed,
      limit,
      remaining: Math.floor(bucket.tokens),
      resetAt: Math.ceil((nowMs + msUntilFull) / 1000),
      retryAfter: Math.max(1, Math.ceil(msUntilNext / 1000)),
    };
  }

  reset(): void {
    this.buckets.clear();
  }
}
