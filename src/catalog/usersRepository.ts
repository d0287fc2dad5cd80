import type { Knex } from '../db/knexFactory';

/** catalog.users: everyone who signed up or logged in (social users have no school). */

export interface CatalogUser {
  userId: string;
  email: string;
  connection: string | null;
  strategy: string | null;
  school: { name: string; dbName: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

interface UserRow {
  user_id: string;
  email: string;
  connection: string | null;
  strategy: string | null;
  school_name: string | null;
  db_name: string | null;
  created_at: Date;
  updated_at: Date;
}

const toUser = (row: UserRow): CatalogUser => ({
  userId: row.user_id,
  email: row.email,
  connection: row.connection,
  strategy: row.strategy,
  school: row.school_name && row.db_name ? { name: row.school_name, dbName: row.db_name } : null,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface UpsertOutcome {
  user: CatalogUser;
  /** 'created', 'updated', or 'unchanged' (nothing written, updated_at untouched). */
  outcome: 'created' | 'updated' | 'unchanged';
}

async function upsertUser(
  db: Knex,
  input: { userId: string; email: string; connection: string | null; strategy: string | null },
): Promise<UpsertOutcome> {
  // The WHERE makes a repeated call a no-op: no new row version, no updated_at churn.
  // school_id is never touched here: only a signup links a user to a school.
  const { rows } = await db.raw<{ rows: { inserted: boolean }[] }>(
    `INSERT INTO catalog.users AS u (user_id, email, connection, strategy)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE
       SET email = EXCLUDED.email,
           connection = COALESCE(EXCLUDED.connection, u.connection),
           strategy = COALESCE(EXCLUDED.strategy, u.strategy),
           updated_at = now()
       WHERE (u.email, u.connection, u.strategy) IS DISTINCT FROM
             (EXCLUDED.email, COALESCE(EXCLUDED.connection, u.connection),
              COALESCE(EXCLUDED.strategy, u.strategy))
     RETURNING (xmax = 0) AS inserted`,
    [input.userId, input.email, input.connection, input.strategy],
  );
  const user = await findUser(db, input.userId);
  if (!user) throw new Error(`user ${input.userId} vanished during sync`);
  const outcome = rows[0] === undefined ? 'unchanged' : rows[0].inserted ? 'created' : 'updated';
  return { user, outcome };
}

async function findUser(db: Knex, userId: string): Promise<CatalogUser | undefined> {
  const { rows } = await db.raw<{ rows: UserRow[] }>(
    `SELECT u.*, s.name AS school_name, s.db_name
     FROM catalog.users u LEFT JOIN catalog.schools s ON s.id = u.school_id
     WHERE u.user_id = ?`,
    [userId],
  );
  return rows[0] && toUser(rows[0]);
}

export interface UsersRepository {
  /** Records a user idempotently: a repeated call with the same data changes nothing. */
  upsert(input: {
    userId: string;
    email: string;
    connection: string | null;
    strategy: string | null;
  }): Promise<UpsertOutcome>;
  find(userId: string): Promise<CatalogUser | undefined>;
}

export function createUsersRepository(db: Knex): UsersRepository {
  return {
    upsert: (input) => upsertUser(db, input),
    find: (userId) => findUser(db, userId),
  };
}
