import { setTimeout as sleep } from 'node:timers/promises';
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

/** Waits between attempts to take the lock again: doubling from 100 ms, at most 5 s. */
const RETAKE_FIRST_DELAY_MS = 100;
const RETAKE_MAX_DELAY_MS = 5_000;

/**
 * Takes a new owner key and holds its lock until release(). If the session is lost (the
 * database restarted, a network cut, an operator's pg_terminate_backend), it is opened again
 * and takes the *same* key: the key names this process's reservations and spare databases,
 * which are only safe from the reconciler while that key's lock is held. Keys come from a
 * sequence, so no other process takes it meanwhile; an old session of ours that the server
 * has not yet noticed is gone may still hold it, so the new one tries (never waits in a
 * lock queue, which would outlive a release()) until it gets it.
 */
export async function acquireOwnerLock(catalogUrl: string, logger: Logger): Promise<OwnerLock> {
  const stop = new AbortController();
  /** The session holding the lock, or the one trying to take it again. */
  let session: Client | undefined;
  let retaking: Promise<void> | undefined;

  const connect = async (): Promise<Client> => {
    const client = new Client({
      connectionString: catalogUrl,
      application_name: 'tenant-signup owner lock',
    });
    // A lost session is reported (and replaced) by hold()'s 'end' handler.
    client.on('error', () => undefined);
    session = client;
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };

  const tryLock = async (client: Client, key: number): Promise<boolean> => {
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1, $2) AS ok',
      [OWNER_LOCK_NAMESPACE, key],
    );
    return rows[0]!.ok;
  };

  /** From now on, losing `client` starts taking `key` again. */
  const hold = (client: Client, key: number) => {
    client.once('end', () => {
      if (stop.signal.aborted) return;
      logger.error({ ownerKey: key }, 'owner lock session lost; taking the lock again');
      retaking = retake(key).finally(() => (retaking = undefined));
    });
  };

  const retake = async (key: number) => {
    let client: Client | undefined;
    for (let delay = RETAKE_FIRST_DELAY_MS; !stop.signal.aborted;) {
      try {
        client ??= await connect();
        if (await tryLock(client, key)) {
          hold(client, key);
          logger.info({ ownerKey: key }, 'owner lock held again');
          return;
        }
        logger.warn({ ownerKey: key, retryInMs: delay }, 'owner lock still held by an old session');
      } catch (error) {
        if (stop.signal.aborted) return;
        logger.warn({ err: error, ownerKey: key, retryInMs: delay }, 'owner lock not retaken yet');
        await client?.end().catch(() => undefined);
        client = undefined;
      }
      const slept = await sleep(delay, true, { signal: stop.signal }).catch(() => false);
      if (!slept) return; // released
      delay = Math.min(delay * 2, RETAKE_MAX_DELAY_MS);
    }
  };

  const first = await connect();
  let key: number;
  try {
    const { rows } = await first.query<{ key: number }>(
      "SELECT nextval('catalog.owner_key_seq')::int AS key",
    );
    key = rows[0]!.key;
    if (!(await tryLock(first, key))) throw new Error(`owner lock ${key} is taken`);
  } catch (error) {
    await first.end().catch(() => undefined);
    throw error;
  }
  hold(first, key);

  return {
    key,
    async release() {
      stop.abort();
      // Whichever session there is: the holder, or one still trying to take the lock again.
      await session?.end().catch(() => undefined);
      await retaking;
    },
  };
}

/** Owner locks held now in this catalog database (pg_locks, aliased `l`). */
const HELD_OWNER_LOCKS = `FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${OWNER_LOCK_NAMESPACE}
    AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/** SQL true when the owner key in `column` (a trusted column name) has no live process. */
export const ownerIsGone = (column: string): string => `NOT EXISTS (
  SELECT 1 ${HELD_OWNER_LOCKS} AND l.objid = ${column})`;

/** ownerIsGone for a WHERE clause on catalog.schools aliased `s`. */
export const OWNER_IS_GONE_SQL = ownerIsGone('s.owner_key');

/** Owner keys whose process is alive now (its lock is held in this catalog database). */
export async function liveOwnerKeys(catalog: Knex): Promise<Set<number>> {
  const { rows } = await catalog.raw<{ rows: { key: number }[] }>(
    `SELECT l.objid::bigint AS key ${HELD_OWNER_LOCKS}`,
  );
  return new Set(rows.map((r) => Number(r.key)));
}
