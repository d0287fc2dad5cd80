import { TokenBucket } from 'limiter';
import { Auth0UnavailableError } from '../errors';
import { retryAfterMs } from './retryPolicy';

/**
 * The process's one budget for Auth0's Management API. Auth0 limits the Management API per
 * tenant, for every application together, and states where the tenant's bucket stands on
 * every answer (x-ratelimit-limit, -remaining, -reset; Retry-After on a 429). Every call of
 * this process waits here for its turn instead of racing into 429s, and every answer corrects
 * the budget, so the calls of other instances and applications are accounted for as Auth0
 * sees them.
 *
 * The bucket is `limiter`'s TokenBucket (maintained, CommonJS, fractional refill on a
 * monotonic clock, with its state open for us to correct from Auth0's headers); bottleneck
 * has priorities and a reservoir but is unmaintained since 2019 and refills its reservoir on
 * its own fixed heartbeat, and p-queue is ESM-only with fixed windows. The queue in front of
 * the bucket is two FIFO lanes: `first` (compensations, the reconciler, every delete) always
 * goes before `normal` (new signups).
 */

export type Lane = 'first' | 'normal';

export type Answer = { status: number; headers: unknown } | { networkError: string };

/** A new signup's place in line, taken before the signup reserves anything. */
export interface Place {
  /** When the signup's Auth0 time budget started. */
  readonly startedAt: number;
  /** Gives the place up (idempotent): the signup failed before reaching Auth0, or sent its call. */
  release(): void;
}

interface Waiter {
  lane: Lane;
  deadline: number;
  go: () => void;
  fail: (error: Error) => void;
}

/** Auth0's smallest Management API limit (free plan: 2 a second), until an answer tells. */
const ASSUMED_LIMIT = 2;
/** Samples of the refill rate kept (each: tokens missing, ms until full, from an empty bucket). */
const SAMPLES = 16;
/** Fewer samples than this say too little (each is off by up to a second's rounding). */
const MIN_SAMPLES = 3;

export class ManagementBudget {
  /** Undefined until an answer tells us the tenant's limit: until then one call at a time. */
  private bucket: TokenBucket | undefined;
  private readonly lanes: Record<Lane, Waiter[]> = { first: [], normal: [] };
  private held = 0;
  private inFlight = 0;
  private pausedUntil = 0;
  private samples: { missing: number; ms: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Signups waiting to hear the tenant's limit (see admit). */
  private listeners: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * A place for a new signup, or 503 at once when its turn would come after `budgetMs`:
   * nothing has been reserved or created for it yet, and Retry-After says when the line
   * ahead of it will have gone through.
   */
  async admit(budgetMs: number): Promise<Place> {
    const arrived = this.now();
    // Before Auth0's first answer the prediction uses the smallest plan's limit; a signup it
    // would refuse waits for that answer (one call is on its way) and is judged on the real
    // limit, so a burst at start-up on a larger plan is not refused for our ignorance.
    if (!this.bucket && this.predictWaitMs('normal', 1) + this.tokenMs() > budgetMs) {
      await this.heard(budgetMs);
    }
    const wait = this.predictWaitMs('normal', 1);
    // Its turn, and one more token's time for the call itself (and a retry) within what is
    // left of the budget.
    if (wait + this.tokenMs() > budgetMs - (this.now() - arrived)) {
      throw this.unavailable(wait, 'queue for Auth0 is longer than the budget');
    }
    this.held += 1;
    let held = true;
    return {
      startedAt: arrived,
      release: () => {
        if (held) this.held -= 1;
        held = false;
      },
    };
  }

  /** Resolves once an answer has told the tenant's limit, or after `ms` at the most. */
  private heard(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.listeners.push(done);
    });
  }

  /**
   * Sends one call when its turn comes, and learns from its answer. Rejects with 503 when
   * the turn cannot come before `deadline`, predicted or (after all) reached.
   */
  async send<A extends Answer>(
    lane: Lane,
    deadline: number,
    request: () => Promise<A>,
  ): Promise<A> {
    const wait = this.predictWaitMs(lane, 1);
    if (this.now() + wait > deadline) {
      throw this.unavailable(wait, 'queue for Auth0 is longer than the budget');
    }
    await new Promise<void>((go, fail) => {
      this.lanes[lane].push({ lane, deadline, go, fail });
      this.pump();
    });
    let answer: A | undefined;
    const sentAt = this.now();
    try {
      answer = await request();
      return answer;
    } finally {
      this.inFlight -= 1;
      if (answer) this.learn(answer, sentAt);
      this.pump();
    }
  }

  /**
   * How long a call joining `lane` now would wait for its turn, counting `extra` more
   * calls (its own) behind everything ahead of it: the `first` lane, and for `normal` its own
   * queue and the places held by admitted signups.
   */
  predictWaitMs(lane: Lane, extra: number): number {
    const ahead =
      this.lanes.first.length + (lane === 'normal' ? this.lanes.normal.length + this.held : 0);
    return this.waitForTokens(ahead + extra);
  }

  /** How long until `n` tokens will have come, after any pause Auth0 asked for. */
  private waitForTokens(n: number): number {
    const now = this.now();
    const pause = Math.max(0, this.pausedUntil - now);
    const rate = this.ratePerMs();
    // Nothing heard yet: predict with the smallest limit Auth0 has (the free plan's, a full
    // bucket), so a burst at start-up is not admitted whole and rolled back later.
    if (!this.bucket) return pause + Math.max(0, (n - ASSUMED_LIMIT) / rate);
    this.bucket.drip();
    const tokens = Math.min(this.bucket.bucketSize, this.bucket.content + pause * rate);
    return pause + Math.max(0, (n - tokens) / rate);
  }

  /** The time one token takes to come. */
  private tokenMs(): number {
    return 1 / this.ratePerMs();
  }

  /** Calls waiting and in flight, and what the budget believes (for logs and the benchmark). */
  state() {
    return {
      waiting: this.lanes.first.length + this.lanes.normal.length,
      held: this.held,
      inFlight: this.inFlight,
      limit: this.bucket?.bucketSize,
      ratePerSecond: this.bucket ? this.ratePerMs() * 1000 : undefined,
    };
  }

  private unavailable(waitMs: number, reason: string): Auth0UnavailableError {
    return new Auth0UnavailableError(Math.max(1, Math.ceil(waitMs / 1000)), reason);
  }

  /** Auth0's word on its bucket, after any answer. */
  private learn(answer: Answer, sentAt: number): void {
    if ('networkError' in answer) return;
    const headers = (answer.headers ?? {}) as Record<string, unknown>;
    const now = this.now();
    const limit = Number(headers['x-ratelimit-limit']);
    const remaining = Number(headers['x-ratelimit-remaining']);
    if (Number.isInteger(limit) && limit > 0 && Number.isInteger(remaining) && remaining >= 0) {
      if (!this.bucket) {
        this.bucket = new TokenBucket({
          bucketSize: limit,
          tokensPerInterval: limit,
          interval: 1000,
        });
        // Auth0 rounds its tokens down: trust no more than it says.
        this.bucket.content = remaining - this.inFlight;
        for (const heard of this.listeners.splice(0)) heard();
      }
      this.bucket.drip();
      this.bucket.bucketSize = limit;
      // Auth0 counts whole tokens: ours (with the calls still on their way, which it may not
      // have counted yet) keeps its fraction while it agrees, and is moved to Auth0's when not.
      const ours = this.bucket.content + this.inFlight;
      const tokens = Math.min(Math.max(ours, remaining), remaining + 0.99, limit);
      // Auth0 counted the call between sending and answer: the midpoint, not the moment this
      // process got round to reading the answer (a busy event loop would inflate the rate).
      const at = (sentAt + now) / 2;
      this.sampleRate(limit, tokens, Number(headers['x-ratelimit-reset']), at);
      this.bucket.content = Math.max(0, tokens - this.inFlight);
      this.bucket.tokensPerInterval = this.ratePerMs() * 1000;
    }
    if (answer.status === 429) {
      const wait = retryAfterMs(headers, now) ?? 1000;
      this.pausedUntil = Math.max(this.pausedUntil, now + wait);
      if (this.bucket) {
        this.bucket.drip();
        this.bucket.content = 0;
      }
    }
  }

  /**
   * x-ratelimit-reset is when the bucket will be full again, in whole seconds; the refill
   * rate is not announced. The tokens missing over the time until full estimate it, from a
   * bucket at least half empty (so that the second's rounding weighs little); the midpoint of
   * that second undoes the rounding, and summing several samples before dividing smooths it.
   */
  private sampleRate(limit: number, tokens: number, reset: number, now: number): void {
    if (limit - tokens < limit / 2 || !Number.isFinite(reset) || reset <= 0) return;
    this.samples.push({ missing: limit - tokens, ms: reset * 1000 - now - 500 });
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /**
   * Tokens per ms. Auth0's Management API limits are stated per second (2/s on the free
   * plan, more on paid ones) with a bucket of that size, so x-ratelimit-limit per second is
   * the refill rate, exactly. The samples are only trusted to say the bucket refills clearly
   * slower than that (a limit over a longer window): whole-second resets make each sample
   * off by up to a second, and pacing by such an estimate overshot into 429s (each costing a
   * second of Retry-After) several times per burst.
   */
  private ratePerMs(): number {
    const limit = this.bucket?.bucketSize ?? ASSUMED_LIMIT;
    // 5% under: a call that arrives a moment early (a busy event loop sends in clumps) costs
    // a 429 and a whole second of Retry-After; one that waits a moment costs that moment.
    const perSecond = (0.95 * limit) / 1000;
    const missing = this.samples.reduce((sum, s) => sum + s.missing, 0);
    const ms = this.samples.reduce((sum, s) => sum + s.ms, 0);
    if (this.samples.length < MIN_SAMPLES || ms <= 0) return perSecond;
    const estimate = missing / ms;
    // Bounded: a bucket refills in no more than a minute.
    return estimate < 0.75 * perSecond ? Math.max(perSecond / 60, estimate) : perSecond;
  }

  /** Gives turns: `first` before `normal`, while the bucket has tokens and Auth0 is not paused. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.expire();
    this.shed();
    for (;;) {
      const next = this.lanes.first[0] ?? this.lanes.normal[0];
      if (!next) return;
      const now = this.now();
      if (now < this.pausedUntil) return this.wake(this.pausedUntil - now);
      if (!this.bucket) {
        if (this.inFlight > 0) return this.wake(this.untilDeadline()); // an answer will pump
      } else if (!this.bucket.tryRemoveTokens(1)) {
        return this.wake(this.bucket.getWaitTime(1));
      }
      this.lanes[next.lane].shift();
      this.inFlight += 1;
      next.go();
    }
  }

  /** Calls whose deadline has passed while they waited: 503, they were never sent. */
  private expire(): void {
    const now = this.now();
    for (const lane of Object.values(this.lanes)) {
      for (const waiter of lane.filter((w) => w.deadline <= now)) {
        lane.splice(lane.indexOf(waiter), 1);
        waiter.fail(this.unavailable(this.predictWaitMs(waiter.lane, 1), 'Auth0 budget spent'));
      }
    }
  }

  /**
   * New signups' calls whose turn, as now predicted, comes after their deadline: 503 now
   * rather than at the deadline. Admitted on an older prediction (before Auth0's first answer,
   * or before other instances took more of the tenant's bucket), they have not been sent.
   */
  private shed(): void {
    if (!this.bucket) return;
    const now = this.now();
    const lane = this.lanes.normal;
    let position = this.lanes.first.length;
    for (const waiter of [...lane]) {
      const wait = this.waitForTokens(position + 1);
      if (now + wait <= waiter.deadline) {
        position += 1;
        continue;
      }
      lane.splice(lane.indexOf(waiter), 1);
      waiter.fail(this.unavailable(wait, 'queue for Auth0 is longer than the budget'));
    }
  }

  private untilDeadline(): number {
    const deadlines = [...this.lanes.first, ...this.lanes.normal].map((w) => w.deadline);
    return Math.max(0, Math.min(...deadlines) - this.now());
  }

  private wake(ms: number): void {
    const delay = Math.max(1, Math.min(ms, this.untilDeadline() + 1));
    this.timer = setTimeout(() => this.pump(), delay);
    this.timer.unref();
  }
}
