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
import type { ReconcileSummary } from './signup/reconcile';
import { createReconcileLoop } from './signup/reconcileLoop';
import { migrateFleetAndTemplate } from './tenants/fleetMigration';

/**
 * What `npm start` does before listening: finish interrupted signups, re-migrate every
 * tenant, build the app. server.ts listens; tests use the app with supertest.
 */

export interface Service extends Runtime {
  app: Express;
  /** The outbox consumers running in this process (RabbitMQ, webhook). */
  relays: EventRelays;
  /** A full reconcile now, as this service's background loop runs it. */
  reconcile(): Promise<ReconcileSummary>;
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
  // Background jobs stop before the runtime (pools, owner lock) they use, newest first.
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of closers.reverse()) {
      await stop().catch((err: unknown) => logger.error({ err }, 'stopping a job failed'));
    }
    await runtime.close();
  };
  try {
    const { schools, tenants, auth0, catalog, ownerKey } = runtime;
    const inFlight = new Set<string>();
    const horizonSeconds = config.reconcile.horizonSeconds;
    const sweepMinutes = config.reconcile.auth0SweepMinutes;
    const reconciler = createReconcileLoop(
      {
        catalog,
        auth0,
        tenants,
        logger,
        horizonSeconds,
        self: { ownerKey, inFlight },
        auth0Sweep:
          sweepMinutes > 0
            ? { deployment: runtime.deployment, everySeconds: sweepMinutes * 60 }
            : undefined,
      },
      { intervalSeconds: config.reconcile.intervalSeconds },
    );
    closers.push(() => reconciler.stop());
    await reconciler.runNow();
    if (config.tenants.migrateOnStart) {
      // Failures are recorded per tenant; the server still starts and serves the others.
      await migrateFleetAndTemplate({
        catalog,
        tenants,
        logger,
        concurrency: config.tenants.migrationConcurrency,
      });
    } else {
      await tenants.refreshTemplate();
    }
    // After the fleet, which they would slow down; signups before the first is ready clone.
    tenants.keepSpares(config.tenants.spareDatabases);
    const policy = createSignupPolicy(
      [...builtinRules(config.signup.policy), ...(options.preSignupRules ?? preSignupRules)],
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
        deployment: runtime.deployment,
        policy,
        connection: runtime.auth0Config.connection,
        inFlight,
        horizonSeconds,
        onLeftForReconcile: () => reconciler.soon(),
      },
      health: { checkCatalog: catalogReadiness(catalog) },
      sync: {
        catalog,
        logger,
        audience: config.api.audience,
        issuerBaseUrl: runtime.auth0Config.baseUrl,
      },
    });
    // Started last: a failed start leaves no consumer running.
    const relays = startEventRelays({ config, catalog, catalogUrl: runtime.catalogUrl, logger });
    closers.push(() => relays.stop());
    return { ...runtime, app, relays, reconcile: () => reconciler.runNow(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
