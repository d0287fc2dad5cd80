import { Pool } from 'pg';
import { nowMs, round } from './stats';

/**
 * The routing anyone would write first: a `pg.Pool` per tenant, made on the tenant's first
 * request and kept for good, one query per tenant in turn. Every pool keeps its connection
 * (pg's idle timeout is 10 s; the loop reaches the limit well before that), so the server's
 * `max_connections` is reached after a few hundred tenants and every later connection, the
 * service's own included, is refused (53300 "too many clients already") until they close.
 */

export interface NaiveResult {
  /** The server's max_connections. */
  maxConnections: number;
  /** Client backends on the server before the loop (the service's own, the bench's). */
  backendsBefore: number;
  /** Tenants whose pool answered before the first refusal (all of them: none refused). */
  tenantsServed: number;
  /** The error of the first refused tenant, e.g. "53300 sorry, too many clients already". */
  refusedWith: string | undefined;
  /** Client backends on the server when it refused (its count, from a reserved slot). */
  backendsAtRefusal: number | undefined;
  /** From the first tenant to the refusal (or the end). */
  ms: number;
  /** Pools it opened, all closed again before it returned. */
  poolsClosed: number;
}

export async function runNaivePools(
  tenantUrls: readonly string[],
  /** Counts client backends; must hold its connection already (the server may refuse new ones). */
  countBackends: () => Promise<number>,
  maxConnections: number,
): Promise<NaiveResult> {
  const pools: Pool[] = [];
  const backendsBefore = await countBackends();
  let refusedWith: string | undefined;
  let backendsAtRefusal: number | undefined;
  let served = 0;
  const started = nowMs();
  try {
    for (const url of tenantUrls) {
      const pool = new Pool({ connectionString: url, application_name: 'bench naive pools' });
      pool.on('error', () => undefined); // an idle client cut by the server must not crash us
      pools.push(pool);
      try {
        await pool.query('SELECT count(*) FROM students');
        served++;
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        refusedWith = `${code ?? ''} ${message ?? String(error)}`.trim();
        backendsAtRefusal = await countBackends().catch(() => undefined);
        break;
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }
  return {
    maxConnections,
    backendsBefore,
    tenantsServed: served,
    refusedWith,
    backendsAtRefusal,
    ms: round(nowMs() - started),
    poolsClosed: pools.length,
  };
}
