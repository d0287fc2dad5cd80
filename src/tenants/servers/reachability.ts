import { Client } from 'pg';

/**
 * Whether a server answers, asked at most every few seconds: placement asks on every signup,
 * and a server that is down must cost a signup nothing but this cached answer. The check is
 * its own short-lived connection with a short timeout, never a pooled one that would wait in
 * a pool's queue.
 */
export interface Reachability {
  /** True when the server answered `SELECT 1` within the timeout (cached). */
  reachable(): Promise<boolean>;
  /** Why the last check failed, if it did (for the `servers` command and the fleet). */
  lastError(): string | undefined;
  /** Forgets the cached answer: the next caller asks the server again. */
  forget(): void;
}

export function createReachability(
  url: string,
  options: { timeoutMs?: number; cacheMs?: number } = {},
): Reachability {
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 2000;
  let checked: { at: number; ok: Promise<boolean> } | undefined;
  let error: string | undefined;

  const check = async (): Promise<boolean> => {
    const client = new Client({
      connectionString: url,
      application_name: 'tenant-signup health',
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      error = undefined;
      return true;
    } catch (e) {
      // Only the code or message: never the URL, which carries the password.
      const failure = e as { code?: string; message?: string };
      error = failure.code ?? failure.message ?? 'no answer';
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  return {
    reachable() {
      if (!checked || Date.now() - checked.at > cacheMs) {
        checked = { at: Date.now(), ok: check() };
      }
      return checked.ok;
    },
    lastError: () => error,
    forget() {
      checked = undefined;
    },
  };
}
