import knex from 'knex';
import { Client } from 'pg';
import type { Knex } from '../db/knexFactory';
import { pgErrorCode } from '../db/knexFactory';
import { newestVersion, type TenantMigrationSet } from './tenantMigrationSet';

/**
 * Brings one tenant database to the latest migration in one transaction on one connection,
 * in as few round trips as possible. This is the fleet's hot path: over 1 000 tenants knex's
 * `migrate.latest()` costs a pool, four information_schema lookups, three commits (lock,
 * batch, unlock) and a dozen round trips per database, and on a small machine every round
 * trip is two process wake-ups. Here: connect, one round trip to lock and read the state,
 * and one that carries the migrations' schema changes, records them and commits (queries
 * whose answers a migration reads go on their own, in order; see DeferringConnection).
 *
 * It reads and writes `knex_migrations` exactly as knex does, so knex's migrator (rollback,
 * the knex CLI) and this one take turns on the same database: both go through
 * `knex_migrations_lock` (see BEGIN_AND_READ_STATE). When knex holds its lock, this steps
 * aside to knex's path, which waits for our own knex-path runs and reports a knex CLI's.
 *
 * The commit is asynchronous (synchronous_commit off): it does not wait for its WAL to reach
 * the disk. The caller must make it durable before recording the version anywhere — on one
 * server, any later synchronous commit does, because WAL is flushed in order (see
 * fleetMigration.ts). A crash before that loses the migration *and* its record together.
 *
 * Resolves 'use-knex' (having changed nothing) when knex's migrator must do the work: the
 * migrations tables do not exist yet, knex holds its lock, a pending migration opts out of
 * transactions, or one opens a nested transaction.
 */

export type FastMigrationOutcome = { version: string; applied: string[] } | 'use-knex';

export class UnknownMigrationsError extends Error {
  override name = 'UnknownMigrationsError';
  constructor(names: string[]) {
    super(
      `the database has migrations this release does not know (${names.join(', ')}); is a newer release migrating it?`,
    );
  }
}

class NestedTransactionError extends Error {}

interface MigrationState {
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
const BEGIN_AND_READ_STATE = `BEGIN;
LOCK TABLE knex_migrations_lock IN SHARE ROW EXCLUSIVE MODE;
SELECT is_locked FROM knex_migrations_lock;
SELECT name, batch FROM knex_migrations`;

type Results = { rows: Record<string, unknown>[] }[];

function stateFrom(results: Results): MigrationState {
  const lockRows = results[2]!.rows as { is_locked: number }[];
  const applied = results[3]!.rows as { name: string; batch: number }[];
  return {
    names: applied.map((r) => r.name),
    batch: applied.reduce((max, r) => Math.max(max, r.batch), 0),
    knexLocked: lockRows.some((r) => r.is_locked),
  };
}

/** Schema changes without parameters: statements whose answer a migration has no use for. */
const DEFERRABLE = /^\s*(create|alter|drop|comment\s+on|grant|revoke)\b/i;

type QueryCallback = (error: Error | null, result?: unknown) => void;

/**
 * The connection a migration's knex talks to. Schema changes are not sent one by one: they
 * are held and go in the next message that has to reach the server anyway (a query whose
 * answer is needed, or the final INSERT … COMMIT), so a migration of five DDL statements
 * costs no round trip of its own. Order is kept: anything else sends what is held first.
 * The price is that a held statement's error surfaces later, on another statement; so any
 * error once something was held hands the tenant to knex's migrator (`spoiled`), which runs
 * the migration statement by statement and reports what really failed.
 */
class DeferringConnection {
  held: string[] = [];
  spoiled = false;

  constructor(readonly client: Client) {}

  /** What knex's pg dialect calls: query({ text, values }, callback). */
  query(config: { text: string; values?: unknown[] }, callback: QueryCallback): void {
    if ((config.values?.length ?? 0) === 0 && DEFERRABLE.test(config.text)) {
      this.held.push(config.text);
      const command = config.text.trim().split(/\s+/, 1)[0]!.toUpperCase();
      queueMicrotask(() => callback(null, { command, rowCount: null, rows: [], fields: [] }));
      return;
    }
    this.flush().then(
      () => void this.client.query(config as never, callback as never),
      (error: Error) => callback(error),
    );
  }

  /** `sql` after everything held, in one message. Newlines first: a held statement may end in a comment. */
  withHeld(sql: string): string {
    const all = [...this.held.splice(0), sql];
    return all.join('\n;\n');
  }

  private async flush(): Promise<void> {
    if (this.held.length === 0) return;
    const sql = this.held.splice(0).join('\n;\n');
    try {
      await this.client.query(sql);
    } catch (error) {
      this.spoiled = true;
      throw error;
    }
  }
}

/**
 * A knex whose every query runs on one connection, inside the transaction already open there.
 * knex.transaction() inside a migration would COMMIT ours, so it is refused (knex's path then
 * runs that migration, where it becomes a savepoint). Instances are reused: creating a knex
 * per tenant costs more than the rest of the client-side work.
 */
class BoundKnex {
  private static readonly idle: BoundKnex[] = [];
  private connection: DeferringConnection | undefined;
  readonly db: Knex;

  private constructor() {
    this.db = knex({
      client: 'pg',
      connectionPool: {
        acquire: () => ({ promise: Promise.resolve(this.connection) }),
        release: () => true,
        destroy: () => Promise.resolve(),
        // knex recognises a tarn-like pool by these.
        numFree: () => 0,
        numUsed: () => 1,
        numPendingAcquires: () => 0,
      } as Knex.Config['connectionPool'],
    });
    (this.db.client as { transaction: () => never }).transaction = () => {
      throw new NestedTransactionError();
    };
  }

  static async with<T>(connection: DeferringConnection, fn: (db: Knex) => Promise<T>): Promise<T> {
    const bound = BoundKnex.idle.pop() ?? new BoundKnex();
    bound.connection = connection;
    try {
      return await fn(bound.db);
    } finally {
      bound.connection = undefined;
      BoundKnex.idle.push(bound);
    }
  }
}

export async function migrateToLatestFast(
  connectionString: string,
  set: TenantMigrationSet,
): Promise<FastMigrationOutcome> {
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
    let state: MigrationState;
    try {
      state = stateFrom((await client.query(BEGIN_AND_READ_STATE)) as unknown as Results);
    } catch (error) {
      if (pgErrorCode(error) === '42P01') return 'use-knex'; // no knex_migrations(_lock) yet
      throw error;
    }
    // A knex migrator holds its lock: ours (a rollback, a migration only knex can run) or a
    // hand-run knex CLI. Knex's path waits for the former and reports the latter.
    if (state.knexLocked) return 'use-knex';

    const known = new Set(set.names);
    const unknown = state.names.filter((n) => !known.has(n));
    if (unknown.length > 0) throw new UnknownMigrationsError(unknown);
    const applied = new Set(state.names);
    const pending = set.names.filter((n) => !applied.has(n)).map((n) => set.load(n));
    if (pending.length === 0) return { version: newestVersion(state.names), applied: [] };
    if (pending.some((m) => m.config?.transaction === false)) return 'use-knex';

    const connection = new DeferringConnection(client);
    try {
      await BoundKnex.with(connection, async (db) => {
        for (const migration of pending) await migration.up(db);
      });
    } catch (error) {
      if (error instanceof NestedTransactionError || connection.spoiled) return 'use-knex';
      throw error;
    }
    // A migration that caught a held statement's error (on some later statement) and went on.
    if (connection.spoiled) return 'use-knex';
    const names = pending.map((m) => m.name);
    // Names are this release's file names; escaped all the same.
    const rows = names
      .map((n) => `(${client.escapeLiteral(n)}, ${state.batch + 1}, now())`)
      .join(', ');
    const held = connection.held.length > 0;
    try {
      await client.query(
        connection.withHeld(
          `INSERT INTO knex_migrations (name, batch, migration_time) VALUES ${rows}; COMMIT`,
        ),
      );
    } catch (error) {
      // Which statement failed is knex's path to tell, running them one at a time.
      if (held) return 'use-knex';
      throw error;
    }
    return { version: newestVersion([...state.names, ...names]), applied: names };
  } finally {
    await client.end();
  }
}
