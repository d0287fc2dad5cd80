import type { Config } from '../config';
import type { Logger } from '../logger';
import { databaseNameOf, redactUrl, withDatabase } from './databaseUrl';
import { startEmbeddedPostgres } from './embeddedPostgres';
import { pgErrorCode, withKnex } from './knexFactory';

/** The catalog database's name on the embedded server. */
export const EMBEDDED_CATALOG_DB = 'signup_catalog';

export interface DatabaseServer {
  /** The catalog database; tenant databases are siblings on the same server. */
  catalogUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Finds (or starts) the PostgreSQL server: DATABASE_URL when configured, otherwise the
 * embedded one. Creates the catalog database when it does not exist yet, so a fresh server
 * needs no manual step.
 */
export async function openDatabaseServer(config: Config, logger: Logger): Promise<DatabaseServer> {
  if (config.database.url) {
    await ensureDatabase(config.database.url, logger);
    return { catalogUrl: config.database.url, embedded: false, stop: () => Promise.resolve() };
  }
  const pg = await startEmbeddedPostgres({
    dataDir: config.database.embedded.dataDir,
    port: config.database.embedded.port,
    logger,
    persistent: true,
  });
  const catalogUrl = withDatabase(pg.url, EMBEDDED_CATALOG_DB);
  await ensureDatabase(catalogUrl, logger);
  logger.info({ url: catalogUrl }, 'embedded PostgreSQL is running (inspect with: psql <url>)');
  return { catalogUrl, embedded: true, stop: () => pg.stop() };
}

async function ensureDatabase(url: string, logger: Logger): Promise<void> {
  const name = databaseNameOf(url);
  await withKnex(withDatabase(url, 'postgres'), { pool: { min: 0, max: 1 } }, async (db) => {
    const found: unknown = await db('pg_database').where({ datname: name }).first('datname');
    if (found) return;
    logger.info({ url: redactUrl(url) }, 'creating the catalog database');
    await db.raw('CREATE DATABASE ??', [name]).catch((error: unknown) => {
      // Another process may have created it between our check and our CREATE: 42P04 if it
      // had committed, 23505 (pg_database's unique index) if it was committing right then.
      const code = pgErrorCode(error);
      if (code !== '42P04' && code !== '23505') throw error;
    });
  });
}
