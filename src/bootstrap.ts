import type { Express } from 'express';
import { createApp } from './app';
import { startAuth0Emulator, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from './auth0/emulator';
import { createAuth0Client } from './auth0/managementClient';
import { createSchoolsRepository } from './catalog/schoolsRepository';
import type { Auth0Config, Config } from './config';
import { openDatabaseServer } from './db/databaseServer';
import { databaseNameOf } from './db/databaseUrl';
import { createKnex, type Knex } from './db/knexFactory';
import { catalogMigrations } from './db/migrationSettings';
import { catalogReadiness } from './health/readiness';
import type { Logger } from './logger';
import { createTenantProvisioner } from './tenants/provisioner';
import { migrateAllTenants } from './tenants/migrateAllTenants';

/**
 * The composition root: wires config into real dependencies. server.ts, the tenants CLI and
 * the tests all start the service through here, so they run the same code.
 */

export interface Service {
  app: Express;
  catalog: Knex;
  catalogUrl: string;
  auth0Config: Auth0Config;
  close(): Promise<void>;
}

async function resolveAuth0(config: Config, logger: Logger, closers: (() => Promise<void>)[]) {
  if (config.auth0) return config.auth0;
  // loadConfig() already refused this combination in production; this is the last guard.
  if (config.env === 'production')
    throw new Error('The Auth0 emulator is never used in production');
  const emulator = await startAuth0Emulator({
    port: config.auth0Emulator.port,
    stateFile: config.auth0Emulator.stateFile,
    connections: [config.auth0Connection],
    logger,
  });
  closers.push(() => emulator.stop());
  logger.warn(
    { url: emulator.url },
    '*** NO AUTH0 CREDENTIALS CONFIGURED: using the LOCAL AUTH0 EMULATOR. Users are NOT created in a real Auth0 tenant. Set AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET for real Auth0. ***',
  );
  return {
    baseUrl: emulator.url,
    clientId: EMULATOR_CLIENT_ID,
    clientSecret: EMULATOR_CLIENT_SECRET,
    audience: emulator.managementAudience,
    connection: config.auth0Connection,
    timeoutMs: config.auth0TimeoutMs,
    retryBudgetMs: config.auth0RetryBudgetMs,
  } satisfies Auth0Config;
}

export async function startService(config: Config, logger: Logger): Promise<Service> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse())
      await c().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    const server = await openDatabaseServer(config, logger);
    closers.push(() => server.stop());
    const catalog = createKnex(server.catalogUrl, { pool: { min: 0, max: 10 } });
    closers.push(() => catalog.destroy());
    await catalog.migrate.latest(catalogMigrations);

    const auth0Config = await resolveAuth0(config, logger, closers);
    const schools = createSchoolsRepository(catalog);
    const tenants = createTenantProvisioner({
      admin: catalog,
      serverUrl: server.catalogUrl,
      reservedNames: new Set([databaseNameOf(server.catalogUrl)]),
    });
    if (config.migrateTenantsOnStart) {
      await migrateAllTenants({
        schools,
        tenants,
        logger,
        concurrency: config.tenantMigrationConcurrency,
      });
    }
    const app = createApp({
      config,
      logger,
      signup: { schools, tenants, auth0: createAuth0Client(auth0Config, logger), logger },
      health: { checkCatalog: catalogReadiness(catalog) },
    });
    return { app, catalog, catalogUrl: server.catalogUrl, auth0Config, close };
  } catch (error) {
    await close();
    throw error;
  }
}
