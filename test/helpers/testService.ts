import { randomBytes } from 'node:crypto';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
  type Auth0EmulatorOptions,
} from '@tenant-signup/auth0-emulator';
import { startService, type Service, type ServiceOptions } from '../../src/service';
import { loadConfig, type Env } from '../../src/config';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { captureLogs } from './logCapture';

/**
 * A real service for one test file: its own catalog database on the shared test server, a
 * real Auth0 emulator on 127.0.0.1, and a log capture. Tenant databases it creates are
 * dropped by close(), so TEST_DATABASE_URL servers stay clean.
 */

export interface TestService extends Service {
  emulator: Auth0Emulator;
  /** A connection to the server's `postgres` database, for checking pg_database. */
  admin: Knex;
  /**
   * The test's own connection to this service's catalog database: tests look at the rows
   * from outside, as an operator with psql would, not through the service's repositories.
   */
  catalogDb: Knex;
  /** The catalog database's URL. */
  catalogUrl: string;
  logs: ReturnType<typeof captureLogs>;
  serverUrl: string;
  /**
   * The environment of another process of this deployment (the tenants CLI, a second
   * server): its catalog, its Auth0 emulator and its template, plus `extra`.
   */
  cliEnv(extra?: Record<string, string>): Record<string, string>;
}

export function serverUrl(): string {
  const url = process.env.TEST_PG_SERVER_URL;
  if (!url) throw new Error('TEST_PG_SERVER_URL is not set: run through jest (globalSetup)');
  return url;
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function startTestService(
  options: {
    env?: Env;
    emulator?: Auth0EmulatorOptions;
    emulatorInstance?: Auth0Emulator;
    service?: ServiceOptions;
  } = {},
): Promise<TestService> {
  const base = serverUrl();
  const catalogDb = `test_catalog_${uniqueSuffix()}`;
  const emulator = options.emulatorInstance ?? (await startAuth0Emulator(options.emulator));
  const logs = captureLogs();
  // A service with its own migrations folder gets its own template, as a separate deployment
  // sharing the server would; the others share the default one.
  const ownTemplate = options.env?.TENANT_MIGRATIONS_DIR
    ? `test_template_${uniqueSuffix()}`
    : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATABASE_URL: withDatabase(base, catalogDb),
    AUTH0_DOMAIN: emulator.url,
    AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
    AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
    // Production defaults for timeouts: a loaded 2-core CI machine is slow. Fault tests set
    // their own short ones.
    SIGNUP_RATE_LIMIT_MAX: '100000',
    RECONCILE_INTERVAL_SECONDS: '0',
    // Tests count the calls Auth0 receives; the sweep's own test turns it on.
    RECONCILE_AUTH0_SWEEP_MINUTES: '0',
    // Most tests aim at the clone and migrate steps (and their faults), which a spare would
    // skip; spareDatabases.test.ts turns them on.
    TENANT_SPARE_DATABASES: '0',
    ...(ownTemplate ? { TENANT_TEMPLATE_DB: ownTemplate } : {}),
    ...options.env,
  });
  const service = await startService(config, logs.logger, options.service);
  const admin = createKnex(withDatabase(base, 'postgres'), { pool: { min: 0, max: 2 } });
  const catalogUrl = withDatabase(base, catalogDb);
  const catalogConnection = createKnex(catalogUrl, { pool: { min: 0, max: 2 } });

  return {
    ...service,
    emulator,
    admin,
    catalogDb: catalogConnection,
    catalogUrl,
    logs,
    serverUrl: base,
    cliEnv: (extra = {}) => ({
      NODE_ENV: 'test',
      DATABASE_URL: catalogUrl,
      AUTH0_DOMAIN: emulator.url,
      AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
      AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      TENANT_TEMPLATE_DB: config.tenants.templateDb,
      ...extra,
    }),
    async close() {
      const tenants = (await catalogConnection('catalog.schools').pluck('db_name')) as string[];
      await catalogConnection.destroy();
      await service.close();
      for (const db of [...tenants, catalogDb, ...(ownTemplate ? [ownTemplate] : [])]) {
        await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
      }
      await admin.destroy();
      if (!options.emulatorInstance) await emulator.stop();
    },
  };
}

/** The product's own check, re-exported so tests ask pg_database the same way. */
export { databaseExists } from '../../src/tenants/serverDatabases';
