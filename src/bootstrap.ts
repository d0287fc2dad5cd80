import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { catalogReadiness } from './health/readiness';
import type { Logger } from './logger';
import { startRuntime, type Runtime } from './runtime';
import { reconcileSignups } from './signup/reconcile';
import { migrateFleet } from './tenants/fleetMigration';

/**
 * What `npm start` does before listening: finish interrupted signups, re-migrate every
 * tenant, build the app. server.ts listens; tests use the app with supertest.
 */

export interface Service extends Runtime {
  app: Express;
}

export async function startService(config: Config, logger: Logger): Promise<Service> {
  const runtime = await startRuntime(config, logger);
  try {
    const { schools, tenants, auth0, catalog, ownerKey } = runtime;
    await reconcileSignups({ catalog, auth0, tenants, logger });
    await tenants.refreshTemplate();
    if (config.migrateTenantsOnStart) {
      // Failures are recorded per tenant; the server still starts and serves the others.
      await migrateFleet({
        catalog,
        tenants,
        logger,
        concurrency: config.tenantMigrationConcurrency,
      });
    }
    const app = createApp({
      config,
      logger,
      signup: { schools, tenants, auth0, logger, ownerKey },
      health: { checkCatalog: catalogReadiness(catalog) },
    });
    return { ...runtime, app };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
