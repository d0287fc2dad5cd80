/** A readiness probe must answer quickly: a load balancer gives up long before knex would. */
export const DEFAULT_READINESS_TIMEOUT_MS = 2000;

export class ReadinessTimeoutError extends Error {
  override name = 'ReadinessTimeoutError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `ping`: one round trip through the catalog's own pool (Catalog.ping), so the probe sees
 * what signups see (a pool that cannot reach the server fails it). Probes arriving while a
 * check is still running share it, so a hanging server costs one pending query, not one per
 * probe.
 */
export function catalogReadiness(
  ping: () => Promise<void>,
  options: { timeoutMs?: number } = {},
): () => Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  let inFlight: Promise<void> | undefined;
  return () => {
    inFlight ??= ping().finally(() => {
      inFlight = undefined;
    });
    // A check that outlives its probe still settles later; nobody may be left unhandled.
    inFlight.catch(() => undefined);
    return withTimeout(inFlight, timeoutMs);
  };
}
