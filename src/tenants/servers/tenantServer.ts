import { databaseNameOf, withDatabase } from '../../db/databaseUrl';
import { createKnex } from '../../db/knexFactory';
import type { Logger } from '../../logger';
import { createTenantMigrator, type TenantMigrator } from '../migration/migrateTenant';
import type { TenantMigrationSet } from '../migration/tenantSchema';
import type { Ownership } from '../ownership';
import { createTenantProvisioner, type TenantProvisioner } from '../provisioning/provisioner';
import { createServerDatabases, type ServerDatabases } from '../serverDatabases';
import { createReachability } from './reachability';

/**
 * One PostgreSQL server that holds tenants, with everything this process keeps for it: an
 * admin pool (CREATE/DROP DATABASE), its databases as this deployment sees them, its own
 * template, spares and warm-ups (the provisioner), a migrator, and a cached health check.
 */
export interface TenantServer {
  readonly name: string;
  /** Where it is, for people: host and port, never the password. */
  readonly address: string;
  /** The catalog's own server (`default`): its renames can join the catalog's transaction. */
  readonly local: boolean;
  /** Tenants it may hold at most (placement stops there); undefined: no limit. */
  readonly maxTenants: number | undefined;
  readonly databases: ServerDatabases;
  readonly provisioner: TenantProvisioner;
  readonly migrator: TenantMigrator;
  /** The URL of one of its databases (this process's credentials for the server). */
  urlOf(dbName: string): string;
  /** True when it answered lately (cached for a few seconds; see reachability.ts). */
  reachable(): Promise<boolean>;
  /** Why it did not answer, when it did not. */
  unreachableBecause(): string | undefined;
  /** A request just found it away: ask again before placing the next tenant there. */
  recheck(): void;
  /**
   * One synchronous commit on this server. Tenant migrations commit asynchronously; WAL is
   * flushed in order, so after this they are on its disk and their versions may be recorded.
   */
  flushWal(): Promise<void>;
  /** Drops its spares, waits for its warm-ups, closes its pool. */
  close(): Promise<void>;
}

export interface TenantServerOptions {
  name: string;
  /** A database on the server to administer it from (the catalog's, on `default`). */
  adminUrl: string;
  local: boolean;
  maxTenants?: number;
  ownership: Ownership;
  /** Names no school may get here, besides the system databases (catalog, template). */
  reservedNames: readonly string[];
  templateDb: string;
  migrations: TenantMigrationSet;
  ownerKey: number;
  logger: Logger;
}

export function createTenantServer(opts: TenantServerOptions): TenantServer {
  const { name, adminUrl, ownership, templateDb, migrations } = opts;
  const logger = opts.logger.child({ server: name });
  const admin = createKnex(adminUrl, { pool: { min: 0, max: 10 } });
  const reserved = new Set([...opts.reservedNames, templateDb, databaseNameOf(adminUrl)]);
  const databases = createServerDatabases(admin, ownership, reserved);
  const health = createReachability(adminUrl);
  const url = new URL(adminUrl);
  const provisioner = createTenantProvisioner({
    admin,
    serverUrl: adminUrl,
    databases,
    migrations,
    templateDb,
    ownerKey: opts.ownerKey,
    logger,
  });
  return {
    name,
    address: `${url.hostname}:${url.port || '5432'}`,
    local: opts.local,
    maxTenants: opts.maxTenants,
    databases,
    provisioner,
    migrator: createTenantMigrator({ serverUrl: adminUrl, migrations, logger }),
    urlOf: (dbName) => withDatabase(adminUrl, dbName),
    reachable: () => health.reachable(),
    unreachableBecause: () => health.lastError(),
    recheck: () => health.forget(),
    async flushWal() {
      await admin.transaction(async (trx) => {
        await trx.raw('SET LOCAL synchronous_commit = on');
        await trx.raw('SELECT pg_current_xact_id()');
      });
    },
    async close() {
      try {
        await provisioner.close();
      } finally {
        await admin.destroy();
      }
    },
  };
}
