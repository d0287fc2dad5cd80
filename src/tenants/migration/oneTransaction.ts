import { Client } from 'pg';
import { pgErrorCode } from '../../db/knexFactory';
import { BoundKnex, NestedTransactionError } from './boundKnex';
import { DeferringConnection } from './deferringConnection';
import { BEGIN_AND_READ_STATE, recordAndCommit, stateFrom } from './knexMigrationsTable';
import { newestVersion, type TenantMigrationSet } from './tenantSchema';

/**
 * Brings one tenant database to the latest migration in one transaction on one connection,
 * in as few round trips as possible. This is the fleet's hot path: over 1 000 tenants knex's
 * `migrate.latest()` costs a pool, four information_schema lookups, three commits (lock,
 * batch, unlock) and a dozen round trips per database, and on a small machine every round
 * trip is two process wake-ups. Here: connect, one round trip to lock and read the state
 * (knexMigrationsTable.ts), and one that carries the migrations' schema changes, records them
 * and commits (queries whose answers a migration reads go on their own, in order; see
 * DeferringConnection).
 *
 * The commit is asynchronous (synchronous_commit off): it does not wait for its WAL to reach
 * the disk. The caller must make it durable before recording the version anywhere — on one
 * server, any later synchronous commit does, because WAL is flushed in order (see
 * fleet/migrateFleet.ts). A crash before that loses the migration *and* its record together.
 *
 * Hands over (having changed nothing) when knex's migrator must do the work, and says why.
 */

export type HandOverReason =
  /** A brand-new database: knex creates its tables. */
  | 'no migrations table'
  /** A knex migrator holds its lock: ours (a rollback), or a hand-run knex CLI. */
  | 'knex lock held'
  /** A pending migration exports `config = { transaction: false }`. */
  | 'migration opts out of transactions'
  /** A pending migration calls knex.transaction(). */
  | 'nested transaction'
  /** A held schema change failed: knex's migrator runs it alone and reports it. */
  | 'held statement failed';

export type OneTransactionOutcome =
  { version: string; applied: string[] } | { handOver: HandOverReason };

export class UnknownMigrationsError extends Error {
  override name = 'UnknownMigrationsError';
  constructor(names: string[]) {
    super(
      `the database has migrations this release does not know (${names.join(', ')}); is a newer release migrating it?`,
    );
  }
}

export async function migrateInOneTransaction(
  connectionString: string,
  set: TenantMigrationSet,
): Promise<OneTransactionOutcome> {
  const client = new Client({
    connectionString,
    application_name: 'tenant-signup migrate',
    // The commit does not wait for its WAL (see above); set at connection start, it costs
    // no statement.
    options: '-c synchronous_commit=off',
  });
  // Errors reach us through the queries; an 'error' event without a listener (the server
  // shutting down between two of them) would take the whole process down.
  client.on('error', () => undefined);
  await client.connect();
  // Closing the connection without COMMIT rolls everything back: that is the error path.
  try {
    let state;
    try {
      state = stateFrom(await client.query(BEGIN_AND_READ_STATE));
    } catch (error) {
      if (pgErrorCode(error) === '42P01') return { handOver: 'no migrations table' };
      throw error;
    }
    // Knex's path waits for our own knex-path runs and reports a knex CLI's.
    if (state.knexLocked) return { handOver: 'knex lock held' };

    const known = new Set(set.names);
    const unknown = state.names.filter((n) => !known.has(n));
    if (unknown.length > 0) throw new UnknownMigrationsError(unknown);
    const applied = new Set(state.names);
    const pending = set.names.filter((n) => !applied.has(n)).map((n) => set.load(n));
    if (pending.length === 0) return { version: newestVersion(state.names), applied: [] };
    if (pending.some((m) => m.config?.transaction === false))
      return { handOver: 'migration opts out of transactions' };

    const connection = new DeferringConnection(client);
    try {
      await BoundKnex.with(connection, async (db) => {
        for (const migration of pending) await migration.up(db);
      });
    } catch (error) {
      if (error instanceof NestedTransactionError) return { handOver: 'nested transaction' };
      if (connection.spoiled) return { handOver: 'held statement failed' };
      throw error;
    }
    // A migration that caught a held statement's error (on some later statement) and went on.
    if (connection.spoiled) return { handOver: 'held statement failed' };
    const names = pending.map((m) => m.name);
    const held = connection.held.length > 0;
    try {
      await client.query(connection.withHeld(recordAndCommit(client, names, state.batch + 1)));
    } catch (error) {
      // Which statement failed is knex's path to tell, running them one at a time.
      if (held) return { handOver: 'held statement failed' };
      throw error;
    }
    return { version: newestVersion([...state.names, ...names]), applied: names };
  } finally {
    await client.end();
  }
}
