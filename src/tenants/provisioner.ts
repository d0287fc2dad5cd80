import type { Knex } from '../db/knexFactory';
import { ProvisioningError } from '../errors';
import type { Logger } from '../logger';
import { assertTenantDbName } from './dbName';
import {
  databaseExists,
  databaseOwner,
  dropDatabase,
  ownDatabases,
  ownSpares,
  renameDatabase,
  sessionsGone,
  warmDatabase,
} from './tenantDatabases';
import { ownershipFor } from './ownership';
import { cloneTemplate, DEFAULT_TEMPLATE_DB, ensureTemplate } from './templateDatabase';
import { migrateToLatestFast } from './fastTenantMigration';
import { loadTenantMigrationSet, type TenantSchema } from './tenantMigrationSet';
import { migrateTenant, type MigrationDirection } from './tenantMigrator';
import { createSparePool, type SparePool, type SpareStats } from './sparePool';
import { withDatabase } from '../db/databaseUrl';

/** Creates, migrates and drops tenant databases on the catalog's server. */
export interface TenantProvisioner {
  /** Database names no school may get (system databases, the catalog, the template). */
  readonly reservedNames: ReadonlySet<string>;
  /** True when a database with this name exists (ours or not). */
  exists(dbName: string): Promise<boolean>;
  /**
   * The schema every tenant should be at: the newest tenant migration's version and the
   * fingerprint of the whole migration set (see TenantSchema).
   */
  readonly schema: TenantSchema;
  /**
   * Makes the signup's staging database at the latest version: a spare renamed, else a
   * template clone, else created and migrated. `warm`: it has had its first session already
   * (see warmLater).
   */
  prepare(signupId: string): Promise<{ version: string; warm: boolean }>;
  /**
   * Opens a first session in a new tenant database in the background (warmDatabase), so
   * the first fleet migration does not pay for building its caches. One at a time, at most
   * MAX_PENDING_WARM_UPS waiting (beyond that a tenant is left for its first migration to
   * warm): a burst of signups must not double its connections. close() waits for them.
   */
  warmLater(dbName: string): void;
  /**
   * Keeps `size` spare template clones ready from now on (sparePool.ts); needs the owner
   * key. Call once the template has been refreshed.
   */
  keepSpares(size: number): void;
  /** How signups fared with spares; undefined when none are kept. */
  spareStats(): SpareStats | undefined;
  /** Resolves once no spare is being made. */
  sparesIdle(): Promise<void>;
  /** This deployment's spare databases, with the owner key of the server that made each. */
  ownSpares(): Promise<{ dbName: string; ownerKey: number }[]>;
  /** Drops the spares this process holds and waits for warm-ups; call before closing `admin`. */
  close(): Promise<void>;
  /** Creates or refreshes the template database; false if that failed (signups fall back). */
  refreshTemplate(): Promise<boolean>;
  /**
   * What completing the signup renames: its staging database, the school's name (checked
   * against the naming rule) and the ownership marker the database then carries.
   */
  promotion(signupId: string, dbName: string): { staging: string; dbName: string; marker: string };
  /** Migrates a live tenant database to the latest version (or back a batch); returns its version. */
  migrate(dbName: string, direction?: MigrationDirection): Promise<string>;
  /** Drops `dbName` only if it carries this signup's ownership marker; true if dropped. */
  dropIfOwned(dbName: string, signupId: string): Promise<boolean>;
  /** Drops the signup's staging database if it exists. */
  dropStaging(signupId: string): Promise<void>;
  /**
   * Drops a database with no ownership check, for callers that established it is theirs
   * to drop: an unmarked tenant under an operator's --force, a dead server's spare.
   */
  drop(dbName: string): Promise<void>;
  /** The signup id that created `dbName`, from its marker. */
  ownerOf(dbName: string): Promise<string | undefined>;
  /** This deployment's staging and marked databases, with their signups (see ownership.ts). */
  ownDatabases(): Promise<{ dbName: string; signupId: string; staging: boolean }[]>;
}

export interface ProvisionerOptions {
  /** A connection to the server (the catalog database) used for CREATE/DROP DATABASE. */
  admin: Knex;
  /** URL of any database on the server; tenant URLs are derived from it. */
  serverUrl: string;
  /**
   * The catalog database's name: reserved, and the tag of this deployment's databases
   * (ownership.ts).
   */
  catalogDb: string;
  /** Further names no school may get (the catalog and the template always are). */
  reservedNames?: ReadonlySet<string>;
  /** Where tenant migrations live (default: tenant-migrations/). */
  migrationsDir?: string;
  /** Clone new tenants from the template database (default true). */
  useTemplate?: boolean;
  /** The template database's name (default tenant_template). */
  templateDb?: string;
  /** This process's owner-lock key: names its spare databases (catalog/ownerLock.ts). */
  ownerKey?: number;
  logger: Logger;
}

/** Warm-ups (see warmLater) queued at most; each is one short session, run one at a time. */
const MAX_PENDING_WARM_UPS = 100;

const failure = (step: string, error: unknown) =>
  new ProvisioningError(step, error instanceof Error ? error.message : String(error), {
    cause: error,
  });

export function createTenantProvisioner(opts: ProvisionerOptions): TenantProvisioner {
  const { admin, serverUrl, migrationsDir, logger, useTemplate = true } = opts;
  const template = opts.templateDb ?? DEFAULT_TEMPLATE_DB;
  const reservedNames = new Set([...(opts.reservedNames ?? []), opts.catalogDb, template]);
  const ownership = ownershipFor(opts.catalogDb);
  // Read once: this process provisions and migrates to the release it started with.
  const migrations = loadTenantMigrationSet(migrationsDir);
  const { schema } = migrations;

  /** The fleet's path: one transaction per tenant; knex's migrator where that cannot serve. */
  const migrateToLatest = async (dbName: string): Promise<string> => {
    const outcome = await migrateToLatestFast(withDatabase(serverUrl, dbName), migrations);
    if (outcome !== 'use-knex') return outcome.version;
    return migrateTenant(serverUrl, dbName, migrationsDir);
  };

  /** CREATE DATABASE from the template; false when it is unavailable (then create + migrate). */
  const tryClone = async (staging: string): Promise<boolean> => {
    if (!useTemplate) return false;
    try {
      return await cloneTemplate(admin, template, staging, schema);
    } catch (error) {
      logger.warn(
        { err: error },
        'cloning the tenant template failed; creating and migrating instead',
      );
      return false;
    }
  };

  let spares: SparePool | undefined;
  let warmUps: Promise<void> = Promise.resolve();
  let pendingWarmUps = 0;
  const warm = (dbName: string) =>
    warmDatabase(serverUrl, dbName).catch((error: unknown) => {
      // Only a cache left cold: the first migration builds it instead.
      logger.debug({ err: error, dbName }, 'warming a tenant database failed');
    });

  /** A spare renamed to `staging`; false when there is none (or it could not be renamed). */
  const takeSpare = async (staging: string): Promise<boolean> => {
    const spare = await spares?.take();
    if (!spare) return false;
    try {
      await renameDatabase(admin, spare, staging);
      return true;
    } catch (error) {
      // Someone is connected to it (an autovacuum worker): clone instead, drop it meanwhile.
      logger.warn({ err: error, dbName: spare }, 'a spare database could not be renamed');
      void dropDatabase(admin, spare, reservedNames).catch(() => undefined);
      return false;
    }
  };

  return {
    reservedNames,
    schema,
    exists: (dbName) => databaseExists(admin, dbName),
    async prepare(signupId) {
      const staging = ownership.stagingName(signupId);
      assertTenantDbName(staging, reservedNames, { allowStaging: true });
      if (await takeSpare(staging)) return { version: schema.version, warm: true };
      let cloned: boolean;
      try {
        cloned = await tryClone(staging);
        if (!cloned) await admin.raw('CREATE DATABASE ??', [staging]);
      } catch (error) {
        throw failure('create database', error);
      }
      if (cloned) return { version: schema.version, warm: false };
      try {
        // Migrating opened sessions in it: warm already.
        return { version: await migrateTenant(serverUrl, staging, migrationsDir), warm: true };
      } catch (error) {
        throw failure('migrate', error);
      }
    },
    keepSpares(size) {
      const { ownerKey } = opts;
      if (spares || size < 1 || !useTemplate) return;
      if (ownerKey === undefined) throw new Error('Spare databases need the owner key');
      spares = createSparePool({
        size,
        nameFor: () => ownership.spareName(ownerKey),
        create: async (name) => {
          if (!(await cloneTemplate(admin, template, name, schema))) return false;
          await warm(name);
          await sessionsGone(admin, name);
          return true;
        },
        drop: (name) => dropDatabase(admin, name, reservedNames),
        logger,
      });
      spares.fill();
    },
    spareStats: () => spares?.stats(),
    sparesIdle: async () => spares?.idle(),
    ownSpares: () => ownSpares(admin, ownership),
    warmLater(dbName) {
      if (pendingWarmUps >= MAX_PENDING_WARM_UPS) return;
      pendingWarmUps++;
      warmUps = warmUps.then(() => warm(dbName)).finally(() => void pendingWarmUps--);
    },
    async close() {
      await spares?.close();
      await warmUps;
    },
    async refreshTemplate() {
      if (!useTemplate) return false;
      try {
        await ensureTemplate({
          admin,
          serverUrl,
          template,
          latest: schema,
          migrationsDir,
          logger,
        });
        return true;
      } catch (error) {
        logger.error(
          { err: error },
          'refreshing the tenant template failed; signups will migrate instead',
        );
        return false;
      }
    },
    promotion(signupId, dbName) {
      assertTenantDbName(dbName, reservedNames);
      return {
        staging: ownership.stagingName(signupId),
        dbName,
        marker: ownership.marker(signupId),
      };
    },
    async migrate(dbName, direction = 'latest') {
      try {
        return direction === 'latest'
          ? await migrateToLatest(dbName)
          : await migrateTenant(serverUrl, dbName, migrationsDir, direction);
      } catch (error) {
        throw failure('migrate', error);
      }
    },
    async dropIfOwned(dbName, signupId) {
      if ((await databaseOwner(admin, dbName)) !== signupId) return false;
      await dropDatabase(admin, dbName, reservedNames);
      return true;
    },
    dropStaging: (signupId) => dropDatabase(admin, ownership.stagingName(signupId), reservedNames),
    drop: (dbName) => dropDatabase(admin, dbName, reservedNames),
    ownerOf: (dbName) => databaseOwner(admin, dbName),
    ownDatabases: () => ownDatabases(admin, ownership),
  };
}
