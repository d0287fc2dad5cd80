import knex, { type Knex } from 'knex';

export type { Knex };

export interface KnexOptions {
  /** Pool bounds. Tenant connections use tiny pools so a fleet cannot exhaust the server. */
  pool?: { min: number; max: number };
  applicationName?: string;
}

export function createKnex(url: string, options: KnexOptions = {}): Knex {
  return knex({
    client: 'pg',
    connection: {
      connectionString: url,
      application_name: options.applicationName ?? 'tenant-signup',
    },
    pool: { min: 0, max: 10, ...options.pool },
    acquireConnectionTimeout: 15_000,
    // knex prints failed migrations to the console before rethrowing; callers log the error.
    log: { error: () => undefined, warn: () => undefined },
  });
}

/** Runs `fn` with a short-lived knex and always destroys its pool, even when `fn` throws. */
export async function withKnex<T>(
  url: string,
  options: KnexOptions,
  fn: (db: Knex) => Promise<T>,
): Promise<T> {
  const db = createKnex(url, options);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** PostgreSQL's SQLSTATE of a failed query, when there is one. */
export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  const c = (error as { constraint?: unknown } | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

/**
 * Runs `fn` on one dedicated pooled connection (pass it to `.connection(conn)`), for work that
 * needs session state — an advisory lock — around statements that cannot run in a
 * transaction, such as CREATE DATABASE. Costs one connection, not two.
 */
export async function withConnection<T>(
  db: Knex,
  fn: (connection: unknown) => Promise<T>,
): Promise<T> {
  const client = db.client as PoolClient;
  const connection = await client.acquireConnection();
  try {
    return await fn(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs `fn` holding a session-level advisory lock on one pooled connection, released even
 * when `fn` throws. Session, not transaction, level: the work under it may be statements that
 * cannot run in a transaction (CREATE DATABASE) or knex's migrator on other connections of the
 * same pool, so the pool must allow one more connection than `fn` uses.
 */
export async function withAdvisoryLock<T>(
  db: Knex,
  key: number,
  fn: (connection: unknown) => Promise<T>,
  mode: 'exclusive' | 'shared' = 'exclusive',
): Promise<T> {
  const suffix = mode === 'shared' ? '_shared' : '';
  return withConnection(db, async (connection) => {
    await db.raw(`SELECT pg_advisory_lock${suffix}(?)`, [key]).connection(connection);
    try {
      return await fn(connection);
    } finally {
      await db.raw(`SELECT pg_advisory_unlock${suffix}(?)`, [key]).connection(connection);
    }
  });
}
