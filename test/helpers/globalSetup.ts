import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embeddedPostgres';
import { createLogger } from '../../src/logger';
import { freePort } from './serverProcess';

/**
 * Starts one throw-away embedded PostgreSQL for the whole integration run, unless
 * TEST_DATABASE_URL points at another server. Workers read the server URL from
 * TEST_PG_SERVER_URL (env set here is inherited by the workers jest forks afterwards).
 */

declare global {
  var __TEST_PG__: RunningPostgres | undefined;
  /** The folder holding its data directory; globalTeardown removes it. */
  var __TEST_PG_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.TEST_PG_SERVER_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'signup-test-pg-'));
  globalThis.__TEST_PG_DIR__ = dir;
  await chmod(dir, 0o755); // the postgres user must be able to reach its data directory
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    logger: createLogger('warn'),
    persistent: false,
    unsafeFast: true,
  });
  globalThis.__TEST_PG__ = pg;
  process.env.TEST_PG_SERVER_URL = pg.url;
}
