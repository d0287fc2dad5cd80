import { Client } from 'pg';
import type { Knex } from '../db/knexFactory';
import type { Logger } from '../logger';

/**
 * Proof of life for a running process. It holds one session-level advisory lock in the
 * catalog database for as long as it lives; reservations it makes carry the lock's key. When
 * the process dies (even by kill -9) PostgreSQL ends its session and frees the lock, which is
 * how the reconciler tells an abandoned signup from one still in flight, with no timeouts.
 */

/** Advisory lock namespace (first int4 key) for owner locks. */
export const OWNER_LOCK_NAMESPACE = 0x51_6e_75_70; // "Qnup"

export interface OwnerLock {
  readonly key: number;
  release(): Promise<void>;
}

export async function acquireOwnerLock(catalogUrl: string, logger: Logger): Promise<OwnerLock> {
  const client = new Client({
    connectionString: catalogUrl,
    application_name: 'tenant-signup owner lock',
  });
  await client.connect();
  const { rows } = await client.query<{ key: number }>(
    "SELECT nextval('catalog.owner_key_seq')::int AS key",
  );
  const key = rows[0]!.key;
  await client.query('SELECT pg_advisory_lock($1, $2)', [OWNER_LOCK_NAMESPACE, key]);
  let released = false;
  client.on('error', (error) => {
    // Losing this session frees the lock: others may now reconcile our in-flight signups.
    if (!released) logger.error({ err: error }, 'owner lock session lost');
  });
  return {
    key,
    async release() {
      released = true;
      await client.end();
    },
  };
}

/** SQL (for a WHERE clause on catalog.schools aliased `s`) true when the row's owner is gone. */
export const OWNER_IS_GONE_SQL = `NOT EXISTS (
  SELECT 1 FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.classid = ${OWNER_LOCK_NAMESPACE} AND l.objid = s.owner_key AND l.objsubid = 2)`;

/** Owner keys whose process is alive now (its lock is held in this catalog database). */
export async function liveOwnerKeys(catalog: Knex): Promise<Set<number>> {
  const { rows } = await catalog.raw<{ rows: { key: number }[] }>(
    `SELECT l.objid::bigint AS key FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = ?
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [OWNER_LOCK_NAMESPACE],
  );
  return new Set(rows.map((r) => Number(r.key)));
}
