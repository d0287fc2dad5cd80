import type { Auth0Client } from './auth0/managementClient';
import { migrateCatalog } from './catalog/migrateCatalog';
import { acquireOwnerLock } from './catalog/ownerLock';
import { createSchoolsRepository, type SchoolsRepository } from './catalog/schoolsRepository';
import type { Auth0Config, Config } from './config';
import { openDatabaseServer } from './db/databaseServer';
import { databaseNameOf } from './db/databaseUrl';
import { createKnex, type Knex } from './db/knexFactory';
import type { Logger } from './logger';
import { deploymentTag } from './tenants/ownership';
import { createTenantProvisioner, type TenantProvisioner } from './tenants/provisioner';

/**
 * The composition root: turns config into the real dependencies (database server, catalog,
 * Auth0 client, tenant provisioner). The HTTP server, the tenants CLI and the tests all start
 * from here, so they run the same code against the same wiring.
 */

/** What works on the catalog and the tenants alone (most CLI commands). */
export interface CatalogRuntime {
  config: Config;
  logger: Logger;
  catalog: Knex;
  catalogUrl: string;
  schools: SchoolsRepository;
  tenants: TenantProvisioner;
  /** This process's owner-lock key (see catalog/ownerLock.ts). */
  ownerKey: number;
  /** This deployment's tag, on its databases and its Auth0 users (tenants/ownership.ts). */
  deployment: string;
  close(): Promise<void>;
}

export interface Runtime extends CatalogRuntime {
  auth0: Auth0Client;
  auth0Config: Auth0Config;
}

/*
 * Loaded on first use: a CLI command that never talks to Auth0 does not pay for loading its
 * client (axios) or the emulator (express). require(), not import(): this is CommonJS, and
 * a dynamic import() of a .ts file would bypass the TypeScript loader hook.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const loadEmulator = () =>
  require('@tenant-signup/auth0-emulator') as typeof import('@tenant-signup/auth0-emulator');
const loadManagementClient = () =>
  require('./auth0/managementClient') as typeof import('./auth0/managementClient');
/* eslint-enable @typescript-eslint/no-require-imports */

async function resolveAuth0(
  config: Config,
  logger: Logger,
  onClose: (fn: () => Promise<void>) => void,
): Promise<Auth0Config> {
  if (config.auth0) return config.auth0;
  // loadConfig() already refused this combination in production; this is the last guard.
  if (config.env === 'production')
    throw new Error('The Auth0 emulator is never used in production');
  const { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } = loadEmulator();
  const emulator = await shareOrStartEmulator(config, logger);
  onClose(() => emulator.stop());
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

/**
 * A running server already serves the emulator (and owns its state file): a CLI started
 * beside it talks to that one instead of failing on the port or overwriting the file. Two
 * processes starting at once both find the port free; the one that loses it shares too.
 */
async function shareOrStartEmulator(config: Config, logger: Logger) {
  const url = `http://127.0.0.1:${config.auth0Emulator.port}`;
  const shared = { url, managementAudience: `${url}/api/v2/`, stop: () => Promise.resolve() };
  // The port can change hands while we look (its owner just stopping): try a few times.
  for (let attempt = 1; ; attempt++) {
    if (await emulatorAnswers(url)) return shared;
    try {
      const { startAuth0Emulator } = loadEmulator();
      return await startAuth0Emulator({
        port: config.auth0Emulator.port,
        stateFile: config.auth0Emulator.stateFile,
        connections: [config.auth0Connection],
        // This service's own API, so the post-login Action's loop runs offline too.
        apis: [{ audience: config.apiAudience, scopes: ['sync:users'] }],
        logger,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function emulatorAnswers(url: string): Promise<boolean> {
  return fetch(`${url}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(1000),
  }).then(
    (res) => res.ok,
    () => false,
  );
}

/** Undo steps, run last-registered first; one failing does not stop the others. */
function shutdownSteps(logger: Logger) {
  const steps: (() => Promise<void>)[] = [];
  return {
    onClose: (fn: () => Promise<void>) => void steps.push(fn),
    close: async () => {
      for (const fn of steps.reverse()) {
        await fn().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
      }
    },
  };
}

export async function startCatalogRuntime(config: Config, logger: Logger): Promise<CatalogRuntime> {
  const { onClose, close } = shutdownSteps(logger);
  try {
    const server = await openDatabaseServer(config, logger);
    onClose(() => server.stop());
    const catalog = createKnex(server.catalogUrl, { pool: { min: 0, max: 10 } });
    onClose(() => catalog.destroy());
    await migrateCatalog(catalog);
    const ownerLock = await acquireOwnerLock(server.catalogUrl, logger);
    onClose(() => ownerLock.release());

    const tenants = createTenantProvisioner({
      admin: catalog,
      serverUrl: server.catalogUrl,
      catalogDb: databaseNameOf(server.catalogUrl),
      migrationsDir: config.tenantMigrationsDir,
      templateDb: config.tenantTemplateDb,
      ownerKey: ownerLock.key,
      logger,
    });
    // Before the owner lock goes: spares left by a live owner are never swept.
    onClose(() => tenants.close());

    return {
      config,
      logger,
      catalog,
      catalogUrl: server.catalogUrl,
      schools: createSchoolsRepository(catalog),
      tenants,
      ownerKey: ownerLock.key,
      deployment: deploymentTag(databaseNameOf(server.catalogUrl)),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The catalog runtime plus Auth0 (the real tenant's, or the local emulator). */
export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const core = await startCatalogRuntime(config, logger);
  const { onClose, close } = shutdownSteps(logger);
  onClose(() => core.close());
  try {
    const auth0Config = await resolveAuth0(config, logger, onClose);
    const { createAuth0Client } = loadManagementClient();
    return { ...core, auth0: createAuth0Client(auth0Config, logger), auth0Config, close };
  } catch (error) {
    await close();
    throw error;
  }
}
