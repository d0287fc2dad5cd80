import { useLocalEmulator } from './auth0/localEmulator';
import type { Auth0ClientSettings } from './auth0/auth0Settings';
import type { Auth0Client } from './auth0/managementClient';
import { openCatalog, type Catalog } from './catalog/catalog';
import type { Config } from './config';
import { openDatabaseServer } from './db/databaseServer';
import type { Logger } from './logger';
import { loadTenantMigrationSet } from './tenants/migration/tenantSchema';
import { ownershipFor } from './tenants/ownership';
import { createTenantServer } from './tenants/servers/tenantServer';
import { tenantServers, type TenantServers } from './tenants/servers/tenantServers';
import { UndoStack } from './undoStack';

/**
 * The composition root: turns config into the service's dependencies — the database server
 * (DATABASE_URL, or the embedded one), the catalog, this process's owner lock, the tenant
 * servers (each with its databases, provisioner and migrator), and Auth0 (the real tenant's, or the local
 * emulator). It builds; it runs nothing (no reconcile, no migration of tenants, no timers):
 * the service (service.ts), the tenants CLI and the benchmark decide what runs.
 */

export interface Dependencies {
  config: Config;
  logger: Logger;
  catalog: Catalog;
  /** The tenant servers: `default` (the catalog's own) and DATABASE_SERVERS. */
  servers: TenantServers;
  /** This process's owner-lock key (see catalog/ownerLock.ts). */
  ownerKey: number;
  /** This deployment's tag, on its databases and its Auth0 users (tenants/ownership.ts). */
  deployment: string;
  /** Releases everything built here, newest first. */
  close(): Promise<void>;
}

export interface Auth0Dependencies {
  auth0: Auth0Client;
  auth0Settings: Auth0ClientSettings;
}

/** Everything but Auth0: what most CLI commands need. */
export async function compose(config: Config, logger: Logger): Promise<Dependencies> {
  const built = new UndoStack(logger, { label: 'closing', onFailure: 'continue' });
  const close = async () => void (await built.run());
  try {
    const server = await openDatabaseServer(config, logger);
    built.add('database server', () => server.stop());
    const catalog = await openCatalog(server.catalogUrl);
    built.add('catalog', () => catalog.close());
    const ownerLock = await catalog.acquireOwnerLock(logger);
    built.add('owner lock', () => ownerLock.release());

    const ownership = ownershipFor(catalog.databaseName);
    // Read once: this process provisions and migrates to the release it started with.
    const migrations = loadTenantMigrationSet(config.tenants.migrationsDir);
    const servers = tenantServers(
      [
        { name: 'default', url: server.catalogUrl, local: true },
        ...config.database.servers.map((s) => ({ ...s, local: false })),
      ].map((s) =>
        createTenantServer({
          name: s.name,
          adminUrl: s.url,
          local: s.local,
          maxTenants: 'maxTenants' in s ? s.maxTenants : undefined,
          ownership,
          reservedNames: [catalog.databaseName],
          templateDb: config.tenants.templateDb,
          migrations,
          ownerKey: ownerLock.key,
          logger,
        }),
      ),
    );
    // Before the owner lock goes: spares left by a live owner are never swept.
    built.add('tenant servers', async () => {
      await Promise.all(servers.all().map((s) => s.close()));
    });
    await registerServers(catalog, servers);

    return {
      config,
      logger,
      catalog,
      servers,
      ownerKey: ownerLock.key,
      deployment: ownership.tag,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Every configured server gets its catalog row; a server that holds tenants but is no longer
 * configured stops the start, by name: its tenants would be unreachable, and unplaced.
 */
async function registerServers(catalog: Catalog, servers: TenantServers): Promise<void> {
  const names = servers.all().map((s) => s.name);
  await catalog.servers.register(names);
  const orphaned = await catalog.servers.withTenantsBesides(names);
  if (orphaned.length > 0) {
    const list = orphaned.map((o) => `${o.name} (${o.tenants} tenants)`).join(', ');
    throw new Error(
      `DATABASE_SERVERS no longer configures ${list}: configure it again, or move its tenants first`,
    );
  }
}

/*
 * Loaded on first use: a CLI command that never talks to Auth0 does not pay for loading its
 * client (axios). require(), not import(): see auth0/localEmulator.ts.
 */
const loadClient = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./auth0/managementClient') as typeof import('./auth0/managementClient');

/** compose() plus Auth0: the real tenant when AUTH0_* are set, else the local emulator. */
export async function composeWithAuth0(
  config: Config,
  logger: Logger,
): Promise<Dependencies & Auth0Dependencies> {
  const deps = await compose(config, logger);
  try {
    const { tenant, connection, timeoutMs, retryBudgetMs } = config.auth0;
    let auth0Settings: Auth0ClientSettings;
    let close = () => deps.close();
    if (tenant) {
      auth0Settings = { ...tenant, connection, timeoutMs, retryBudgetMs };
    } else {
      const local = await useLocalEmulator(config, logger);
      auth0Settings = local.settings;
      close = async () => {
        await local.stop().catch((err: unknown) => logger.error({ err }, 'closing failed'));
        await deps.close();
      };
    }
    const auth0 = loadClient().createAuth0Client(auth0Settings, logger);
    return { ...deps, auth0, auth0Settings, close };
  } catch (error) {
    await deps.close();
    throw error;
  }
}
