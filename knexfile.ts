/**
 * For the knex CLI (`npx knex migrate:latest`, `migrate:status`, `migrate:make`), which
 * migrates the catalog database exactly as the server does at start-up. Without
 * DATABASE_URL it uses the embedded PostgreSQL (sharing it if the server is running).
 */
import 'dotenv/config';
import type { Knex } from 'knex';
import { loadConfig } from './src/config';
import { openDatabaseServer } from './src/db/databaseServer';
import { catalogMigrations } from './src/db/migrationSettings';
import { createLogger } from './src/logger';

export default async function knexConfig(): Promise<Knex.Config> {
  const config = loadConfig();
  const server = await openDatabaseServer(config, createLogger(config.log.level));
  return {
    client: 'pg',
    connection: server.catalogUrl,
    pool: { min: 0, max: 2 },
    migrations: { ...catalogMigrations, extension: 'ts' },
  };
}
