/**
 * Caches the Management API token until shortly before it expires. Concurrent callers share
 * one in-flight token request, so a burst of signups costs one client-credentials grant
 * (Auth0 rate-limits and bills those).
 */

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenCache {
  get(): Promise<string>;
  /** Forget `token` (e.g. after a 401) so the next get() fetches a fresh one. */
  invalidate(token: string): void;
}

export interface TokenCacheOptions {
  fetchToken: () => Promise<IssuedToken>;
  now?: () => number;
}

/** Refresh a little early: 10% of the lifetime, at most 5 minutes, so no call carries a stale token. */
export function refreshMarginMs(expiresInSeconds: number): number {
  return Math.min(expiresInSeconds * 100, 5 * 60_000);
}

export function createTokenCache({ fetchToken, now = Date.now }: TokenCacheOptions): TokenCache {
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const refresh = async (): Promise<string> => {
    const issued = await fetchToken();
    const lifetimeMs = issued.expiresInSeconds * 1000;
    cached = {
      token: issued.accessToken,
      refreshAt: now() + lifetimeMs - refreshMarginMs(issued.expiresInSeconds),
    };
    return issued.accessToken;
  };

  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}
