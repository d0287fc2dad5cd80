import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  type RateLimitOptions,
} from '@tenant-signup/auth0-emulator';
import { startService, type Service } from '../src/service';
import { loadConfig, type Config } from '../src/config';
import { withDatabase } from '../src/db/databaseUrl';
import { createKnex, type Knex } from '../src/db/knexFactory';
import { startEmbeddedPostgres } from '../src/db/embeddedPostgres';
import { DEFAULT_TENANT_MIGRATIONS_DIR } from '../src/db/migrationSettings';
import { createLogger, type Logger } from '../src/logger';
import { ownershipFor } from '../src/tenants/ownership';
import { startEmulatorProcess, type EmulatorLogin, type EmulatorProcess } from './emulatorProcess';

/** The service's API and tenant claim (config.ts's defaults), named on both sides here. */
const API_AUDIENCE = 'urn:tenant-signup:api';
const TENANT_CLAIM = 'https://tenant-signup/db_name';
/** Schools' users log in as the school's app would (the routing phase's tokens). */
const LOGIN: EmulatorLogin = {
  apis: [{ audience: API_AUDIENCE, scopes: [] }],
  defaultAudience: API_AUDIENCE,
  userClaims: { [TENANT_CLAIM]: 'db_name' },
};

/**
 * Everything the benchmark runs against, started in this process: a PostgreSQL server (a
 * fresh embedded one, or BENCH_DATABASE_URL's), the Auth0 emulator, and the real service
 * listening on 127.0.0.1. Every database the run creates has the run id in its name, so
 * stop() can find and drop them on a shared server.
 */

export interface BenchEnvironment {
  runId: string;
  server: 'embedded' | 'external';
  /** A database on the server to run CREATE/DROP DATABASE from (not the catalog). */
  adminUrl: string;
  /**
   * The bench's own connection to the catalog database, for what the service would never do
   * (CHECKPOINT, a bare template clone, server_version); advisory locks are per database, so
   * a clone here takes the template lock where the service does.
   */
  admin: Knex;
  config: Readonly<Config>;
  logger: Logger;
  emulator: EmulatorProcess;
  service: Service;
  /** http://127.0.0.1:port of the service. */
  baseUrl: string;
  /** The temporary copy of tenant-migrations/ the service migrates from. */
  migrationsDir: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function copyMigrations(into: string): Promise<string> {
  const dir = path.join(into, 'tenant-migrations');
  await mkdir(dir);
  for (const file of await readdir(DEFAULT_TENANT_MIGRATIONS_DIR)) {
    await copyFile(path.join(DEFAULT_TENANT_MIGRATIONS_DIR, file), path.join(dir, file));
  }
  return dir;
}

function listen(service: Service): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = service.app.listen(0, '127.0.0.1');
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** Drops every database whose name carries the run id, plus staging databases of our rows. */
async function dropRunDatabases(adminUrl: string, runId: string, staging: string[]) {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE position($1 in datname) > 0 OR datname = ANY($2)',
      [runId, staging],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

export async function startEnvironment(
  databaseUrl: string | undefined,
  /** Auth0's Management API limit for the emulator (default: none to speak of). */
  emulatorRateLimit?: RateLimitOptions,
): Promise<BenchEnvironment> {
  const runId = randomBytes(3).toString('hex');
  const tmp = await mkdtemp(path.join(tmpdir(), 'signup-bench-'));
  await chmod(tmp, 0o755); // the postgres system user must reach its data directory
  const stops: (() => Promise<void>)[] = [() => rm(tmp, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => {
        process.stderr.write(`bench: a cleanup step failed: ${String(error)}\n`);
      });
    }
  };

  try {
    let adminUrl: string;
    if (databaseUrl) {
      adminUrl = databaseUrl;
    } else {
      // unsafeFast: false. CREATE DATABASE is the cost we compare signups against, and most
      // of it is writing and syncing the copied files; with fsync off both sides get
      // artificially cheap and the fixed overheads (Auth0, catalog queries) look bigger than
      // they are on a real server. So the embedded server keeps production durability.
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(tmp, 'data'),
        port: await freePort(),
        persistent: false,
        unsafeFast: false,
        logger: createLogger('warn'),
      });
      stops.push(() => pg.stop());
      adminUrl = pg.url;
    }
    // Registered before anything is created: on a shared server, stop() drops what we made.
    const staging: string[] = [];
    if (databaseUrl) stops.push(() => dropRunDatabases(adminUrl, runId, staging));

    const emulator = await startEmulatorProcess(emulatorRateLimit, LOGIN);
    stops.push(() => emulator.stop());

    const migrationsDir = await copyMigrations(tmp);
    const logger = createLogger('silent');
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: withDatabase(adminUrl, `bench_catalog_${runId}`),
      AUTH0_DOMAIN: emulator.url,
      AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
      AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      SIGNUP_RATE_LIMIT_MAX: '1000000000',
      TENANT_MIGRATIONS_DIR: migrationsDir,
      TENANT_TEMPLATE_DB: `bench_template_${runId}`,
      API_AUDIENCE,
      TENANT_CLAIM,
    });
    const service = await startService(config, logger);
    stops.push(async () => {
      const ids = [...(await service.catalog.schools.ids())];
      const ownership = ownershipFor(`bench_catalog_${runId}`);
      staging.push(...ids.map((id) => ownership.stagingName(id)));
      await service.close();
    });
    const admin = createKnex(config.database.url!, { pool: { min: 0, max: 2 } });
    stops.push(() => admin.destroy());
    const http = await listen(service);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
    );
    const { port } = http.address() as AddressInfo;

    return {
      runId,
      server: databaseUrl ? 'external' : 'embedded',
      adminUrl,
      admin,
      config,
      logger,
      emulator,
      service,
      baseUrl: `http://127.0.0.1:${port}`,
      migrationsDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
