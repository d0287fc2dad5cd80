import { Auth0UnavailableError } from '../../src/errors';
import { retryAfterMs, withRetries, type Attempt } from '../../src/auth0/retryPolicy';

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

describe('withRetries', () => {
  test('retries until the call succeeds, waiting at least what Auth0 asked', async () => {
    const clock = fakeClock();
    const outcomes: Attempt<string>[] = [
      { kind: 'retry', reason: '429', retryAfterMs: 1500 },
      { kind: 'retry', reason: '503' },
      { kind: 'done', value: 'created' },
    ];
    const result = await withRetries(() => Promise.resolve(outcomes.shift()!), {
      budgetMs: 10_000,
      random: () => 0.5,
      ...clock,
    });
    expect(result).toBe('created');
    expect(clock.sleeps[0]).toBe(1500);
    expect(clock.sleeps).toHaveLength(2);
  });

  test('gives up with 503 and a Retry-After when the budget would be exceeded', async () => {
    const clock = fakeClock();
    const attempt = () =>
      Promise.resolve<Attempt<string>>({ kind: 'retry', reason: '429', retryAfterMs: 4000 });
    const error = await withRetries(attempt, { budgetMs: 6000, random: () => 1, ...clock }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Auth0UnavailableError);
    expect((error as Auth0UnavailableError).headers()).toEqual({ 'Retry-After': '4' });
    expect(clock.now()).toBeLessThanOrEqual(6000);
  });

  test('errors thrown by an attempt are not retried', async () => {
    let calls = 0;
    const attempt = () => {
      calls++;
      return Promise.reject(new Error('bad request'));
    };
    await expect(withRetries(attempt, { budgetMs: 10_000 })).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });
});

describe('retryAfterMs', () => {
  test('reads Retry-After seconds, Retry-After dates and x-ratelimit-reset', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Sun, 22 Nov 2026 10:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'x-ratelimit-reset': String(now / 1000 + 2) }, now)).toBe(2000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});
