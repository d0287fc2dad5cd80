import knex, { type Knex } from 'knex';
import type { DeferringConnection } from './deferringConnection';

/** A migration called knex.transaction(), which would COMMIT the transaction it runs in. */
export class NestedTransactionError extends Error {
  override name = 'NestedTransactionError';
}

/**
 * A knex whose every query runs on one connection, inside the transaction already open there.
 * knex.transaction() inside a migration would COMMIT ours, so it is refused (knex's path then
 * runs that migration, where it becomes a savepoint). Instances are reused: creating a knex
 * per tenant costs more than the rest of the client-side work.
 *
 * It stands a one-connection object in for knex's pool (tarn): knex recognises a pool by the
 * members below. That is knex's internal interface, not its public one; an upgrade that
 * changes it makes every migration hand over to knex's migrator, which the fleet then
 * reports (MigrationPath) and a test pins (test/integration/tenantMigration.test.ts).
 */
export class BoundKnex {
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
