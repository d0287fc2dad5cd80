import type { Knex } from '../db/knexFactory';

/** Arbitrary constant: "reconciling", in the catalog database. */
const RECONCILE_LOCK_KEY = 7_302_114_552;

/**
 * Runs `fn` if no other process is reconciling (one reconciler at a time across every
 * server and CLI sharing the catalog); false when another one is. The lock lives in a
 * transaction on one connection; `fn`'s work uses other pooled ones.
 */
export async function whileReconciling(db: Knex, fn: () => Promise<void>): Promise<boolean> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { ok: boolean }[] }>(
      'SELECT pg_try_advisory_xact_lock(?) AS ok',
      [RECONCILE_LOCK_KEY],
    );
    if (!rows[0]?.ok) return false;
    await fn();
    return true;
  });
}
