import type { Client } from 'pg';

/**
 * knex's bookkeeping in a tenant database, read and written exactly as knex does, so knex's
 * migrator (rollback, the knex CLI) and the one-transaction migrator take turns on the same
 * database: `knex_migrations` (name, batch, migration_time) and `knex_migrations_lock`.
 */

export interface MigrationState {
  names: string[];
  batch: number;
  /** knex's own lock is taken. */
  knexLocked: boolean;
}

/**
 * One simple-protocol message, so one round trip. LOCK TABLE knex_migrations_lock IN SHARE
 * ROW EXCLUSIVE MODE is the lock: it conflicts with itself, so two fleet runners (two servers
 * starting, a server and the CLI) take turns, the second waiting instead of failing (knex
 * #1950); and with knex's own lock step (an UPDATE of that table), so a knex migrator waits
 * for us too. Nothing is written, unlike a row lock. Each statement gets its own snapshot, so
 * the state is read *after* the lock is ours and shows what a runner we waited for committed.
 * The queries are as plain as they can be: in a fresh backend every function, operator and
 * sort the planner has to look up is a catalog miss (an aggregate over knex_migrations once
 * cost more than the migration it guarded). Constants only: nothing here comes from outside.
 */
export const BEGIN_AND_READ_STATE = `BEGIN;
LOCK TABLE knex_migrations_lock IN SHARE ROW EXCLUSIVE MODE;
SELECT is_locked FROM knex_migrations_lock;
SELECT name, batch FROM knex_migrations`;

type Results = { rows: Record<string, unknown>[] }[];

export function stateFrom(results: unknown): MigrationState {
  const [, , lockResult, appliedResult] = results as Results;
  const lockRows = lockResult!.rows as { is_locked: number }[];
  const applied = appliedResult!.rows as { name: string; batch: number }[];
  return {
    names: applied.map((r) => r.name),
    batch: applied.reduce((max, r) => Math.max(max, r.batch), 0),
    knexLocked: lockRows.some((r) => r.is_locked),
  };
}

/** Records `names` as applied in batch `batch`, as knex does; then commits. */
export function recordAndCommit(client: Client, names: readonly string[], batch: number): string {
  // Names are this release's file names; escaped all the same.
  const rows = names.map((n) => `(${client.escapeLiteral(n)}, ${batch}, now())`).join(', ');
  return `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ${rows}; COMMIT`;
}
