import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { catalogReadiness } from './health/readiness';
import type { Logger } from './logger';
import { startEventRelays, type EventRelays } from './events/relays';
import { startRuntime, type Runtime } from './runtime';
import { builtinRules } from './signup/policy/builtinRules';
import { preSignupRules } from './signup/policy/hooks';
import { createSignupPolicy } from './signup/policy/signupPolicy';
import type { PreSignupRule } from './signup/policy/types';
import { reconcileSignups } from './signup/reconcile';
import { migrateFleetAndTemplate } from './tenants/fleetMigration';

/**
 * What `npm start` does before listening: finish interrupted signups, re-migrate every
 * tenant, build the app. server.ts listens; tests use the app with supertest.
 */

export interface Service extends Runtime {
  app: Express;
  /** The outbox consumers running in this process (RabbitMQ, webhook). */
  relays: EventRelays;
}

export interface ServiceOptions {
  /** Pre-signup rules; default: src/signup/policy/hooks.ts. Built-in rules always run first. */
  preSignupRules?: readonly PreSignupRule[];
}

export async function startService(
  config: Config,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  const runtime = await startRuntime(config, logger);
  try {
    const { schools, tenants, auth0, catalog, ownerKey } = runtime;
    await reconcileSignups({ catalog, auth0, tenants, logger });
    if (config.migrateTenantsOnStart) {
      // Failures are recorded per tenant; the server still starts and serves the others.
      await migrateFleetAndTemplate({
        catalog,
        tenants,
        logger,
        concurrency: config.tenantMigrationConcurrency,
      });
    } else {
      await tenants.refreshTemplate();
    }
    // After the fleet, which they would slow down; signups before the first is ready clone.
    tenants.keepSpares(config.tenantSpareDatabases);
    const policy = createSignupPolicy(
      [...builtinRules(config.signupPolicy), ...(options.preSignupRules ?? preSignupRules)],
      logger,
    );
    const app = createApp({
      config,
      logger,
      signup: {
        schools,
        tenants,
        auth0,
        logger,
        ownerKey,
        policy,
        connection: runtime.auth0Config.connection,
      },
      health: { checkCatalog: catalogReadiness(catalog) },
      sync: {
        catalog,
        logger,
        audience: config.apiAudience,
        issuerBaseUrl: runtime.auth0Config.baseUrl,
      },
    });
    // Started last: a failed start leaves no consumer running.
    const relays = startEventRelays({ config, catalog, catalogUrl: runtime.catalogUrl, logger });
    return {
      ...runtime,
      app,
      relays,
      async close() {
        await relays.stop();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
