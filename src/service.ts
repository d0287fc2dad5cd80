import type { Express } from 'express';
import { createApp } from './app';
import { composeWithAuth0, type Auth0Dependencies, type Dependencies } from './composition';
import type { Config } from './config';
import { startEventRelays, type EventRelays } from './events/relays';
import { catalogReadiness } from './health/readiness';
import type { Logger } from './logger';
import { builtinRules } from './schools/preSignupRules/builtinRules';
import { preSignupRules } from './schools/preSignupRules/rules';
import { createPreSignupRules } from './schools/preSignupRules/runRules';
import type { PreSignupRule } from './schools/preSignupRules/types';
import type { ReconcileSummary } from './schools/reconcile';
import { createReconcileLoop } from './schools/reconcileLoop';
import { migrateFleetAndTemplates } from './tenants/fleet/migrateFleet';
import { placeTenant } from './tenants/servers/placement';
import { openTenantDirectory } from './schoolApi/tenantDirectory';
import { createTenantPools, type TenantPools } from './tenants/pools/tenantPools';
import { UndoStack } from './undoStack';

/**
 * How long the school's API trusts a lookup of where a school is. Changes are pushed (NOTIFY)
 * and forget it at once; this only bounds the cost of a notice that never came.
 */
const DIRECTORY_TTL_MS = 5_000;

/**
 * The running service: its dependencies (composition.ts), the start-up jobs (finish
 * interrupted signups, bring every tenant and the template to this release), the HTTP app,
 * and every background job — the reconcile loop, the event relays, the spare databases and
 * warm-ups — all stopped by its one close(). server.ts listens; tests and the benchmark use
 * the app with supertest or their own listener.
 */

export interface Service extends Dependencies, Auth0Dependencies {
  app: Express;
  /** Connections to tenant databases for the school's API. */
  pools: TenantPools;
  /** The outbox consumers running in this process (RabbitMQ, webhook). */
  relays: EventRelays;
  /** A full reconcile now, as this service's background loop runs it. */
  reconcile(): Promise<ReconcileSummary>;
  /** Stops every background job, then releases the dependencies. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Pre-signup rules; default: schools/preSignupRules/rules.ts. Built-in rules always run first. */
  preSignupRules?: readonly PreSignupRule[];
}

export async function startService(
  config: Config,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<Service> {
  const deps = await composeWithAuth0(config, logger);
  // Jobs stop before the dependencies they use, newest first.
  const running = new UndoStack(logger, { label: 'stopping', onFailure: 'continue' });
  running.add('dependencies', () => deps.close());
  const close = async () => void (await running.run());
  try {
    const { catalog, servers, auth0, ownerKey, deployment } = deps;
    const { schools, users, outbox } = catalog;
    const horizonSeconds = config.reconcile.horizonSeconds;
    const sweepMinutes = config.reconcile.auth0SweepMinutes;
    // This process's signups in flight: the reconciler leaves them alone.
    const inFlight = new Set<string>();
    const reconciler = createReconcileLoop(
      {
        catalog,
        // Rollbacks and tombstone checks go before new signups in the Auth0 budget.
        auth0: auth0.firstInLine(),
        servers,
        logger,
        horizonSeconds,
        self: { ownerKey, inFlight },
        auth0Sweep: sweepMinutes > 0 ? { deployment, everySeconds: sweepMinutes * 60 } : undefined,
      },
      { intervalSeconds: config.reconcile.intervalSeconds },
    );
    running.add('reconcile loop', () => reconciler.stop());
    await reconciler.runNow();

    if (config.tenants.migrateOnStart) {
      // Failures are recorded per tenant (a server that is down fails its own tenants); the
      // server still starts and serves signups on the others.
      await migrateFleetAndTemplates({
        tenantVersions: catalog.tenantVersions,
        servers,
        logger,
        concurrency: config.tenants.migrationConcurrency,
      });
    } else {
      await Promise.all(servers.all().map((s) => s.provisioner.refreshTemplate()));
    }
    // After the fleet, which they would slow down; signups before the first is ready clone.
    // Spares and warm-ups stop with their server, among the dependencies.
    for (const server of servers.all())
      server.provisioner.keepSpares(config.tenants.spareDatabases);

    // The school's API: connections to tenant databases under one cap per server, and where
    // each school is, forgotten (with its pool) the moment the catalog says it changed.
    const pools = createTenantPools({ ...config.tenantPools, logger });
    running.add('tenant pools', () => pools.close());
    const directory = await openTenantDirectory({
      schools,
      servers,
      ttlMs: DIRECTORY_TTL_MS,
      logger,
      onForget: (dbName) => void pools.evict(dbName),
    });
    running.add('tenant directory', () => directory.close());
    const tokens = { audience: config.api.audience, issuerBaseUrl: deps.auth0Settings.baseUrl };

    const app = createApp({
      config,
      logger,
      signup: {
        schools,
        auth0,
        servers,
        // One server (nothing configured): no choice to make, and no query to make it.
        place: async () =>
          servers.all().length === 1
            ? servers.default
            : placeTenant(servers, await catalog.servers.list()),
        logger,
        ownerKey,
        deployment,
        rules: createPreSignupRules(
          [...builtinRules(config.signup.rules), ...(options.preSignupRules ?? preSignupRules)],
          logger,
        ),
        connection: config.auth0.connection,
        inFlight,
        horizonSeconds,
        onLeftForReconcile: () => reconciler.soon(),
      },
      health: { checkCatalog: catalogReadiness(() => catalog.ping()) },
      sync: { users, logger, ...tokens },
      schoolApi: { ...tokens, tenantClaim: config.api.tenantClaim, directory, pools },
      schoolLogin: {
        tokenUrl: `${deps.auth0Settings.baseUrl}/oauth/token`,
        clientId: config.api.docsClientId ?? deps.auth0Settings.publicClientId,
      },
    });
    // Started last: a failed start leaves no consumer running.
    const relays = startEventRelays({ config, outbox, logger });
    running.add('event relays', () => relays.stop());
    return { ...deps, app, pools, relays, reconcile: () => reconciler.runNow(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
