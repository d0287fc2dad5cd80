import { createTokenCache, refreshMarginMs } from '../../src/auth0/tokenCache';

describe('token cache', () => {
  test('concurrent callers share one token request, and later callers reuse the token', async () => {
    let fetches = 0;
    const cache = createTokenCache({
      fetchToken: async () => {
        fetches++;
        await new Promise((r) => setTimeout(r, 10));
        return { accessToken: `t${fetches}`, expiresInSeconds: 86400 };
      },
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.get()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(await cache.get()).toBe('t1');
    expect(fetches).toBe(1);
  });

  test('fetches a new token once the old one is within its refresh margin', async () => {
    let now = 0;
    let fetches = 0;
    const cache = createTokenCache({
      now: () => now,
      fetchToken: () => Promise.resolve({ accessToken: `t${++fetches}`, expiresInSeconds: 100 }),
    });
    expect(await cache.get()).toBe('t1');
    now = 100_000 - refreshMarginMs(100) - 1;
    expect(await cache.get()).toBe('t1');
    now += 1;
    expect(await cache.get()).toBe('t2');
  });

  test('invalidate drops only the token it names', async () => {
    let fetches = 0;
    const cache = createTokenCache({
      fetchToken: () => Promise.resolve({ accessToken: `t${++fetches}`, expiresInSeconds: 86400 }),
    });
    await cache.get();
    cache.invalidate('some-older-token');
    expect(await cache.get()).toBe('t1');
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
  });

  test('a failed fetch is not cached: the next caller tries again', async () => {
    let calls = 0;
    const cache = createTokenCache({
      fetchToken: () =>
        ++calls === 1
          ? Promise.reject(new Error('down'))
          : Promise.resolve({ accessToken: 'ok', expiresInSeconds: 60 }),
    });
    await expect(cache.get()).rejects.toThrow('down');
    expect(await cache.get()).toBe('ok');
  });
});
