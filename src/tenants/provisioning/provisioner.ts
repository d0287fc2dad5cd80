import type { Knex } from '../../db/knexFactory';
import { ProvisioningError } from '../../errors';
import type { Logger } from '../../logger';
import { assertTenantDbName } from '../dbName';
import { migrateWithKnex } from '../migration/knexMigrator';
import type { TenantMigrationSet, TenantSchema } from '../migration/tenantSchema';
import { renameDatabase, sessionsGone, type ServerDatabases } from '../serverDatabases';
import { createSparePool, type SparePool } from './sparePool';
import { cloneTemplate, ensureTemplate } from './template';
import { createWarmUps } from './warmUps';

/**
 * Makes new tenant databases for signups, on one server: a spare renamed, else a clone of
 * the template, else created and migrated. It owns the template, the spare pool and the
 * warm-ups of that server.
 */
export interface TenantProvisioner {
  /** The schema a new tenant is made at. */
  readonly schema: TenantSchema;
  /**
   * Makes the signup's staging database at the latest version. `warm`: it has had its first
   * session already (otherwise call warmLater once it has its final name).
   */
  prepare(signupId: string): Promise<{ version: string; warm: boolean }>;
  /**
   * The rename that completes a signup: its staging database, the school's name (checked
   * against the naming rule) and the ownership marker the database then carries.
   */
  finalRename(
    signupId: string,
    dbName: string,
  ): { staging: string; dbName: string; marker: string };
  /** Opens a first session in a new tenant database, in the background (warmUps.ts). */
  warmLater(dbName: string): void;
  /** Creates or refreshes the template database; false if that failed (signups fall back). */
  refreshTemplate(): Promise<boolean>;
  /**
   * Keeps `size` spare template clones ready from now on (sparePool.ts). Call once the
   * template has been refreshed.
   */
  keepSpares(size: number): void;
  /** The spare pool, once keepSpares started one (its stats and idle() serve benchmarks). */
  readonly spares: SparePool | undefined;
  /** Drops the spares this process holds and waits for warm-ups; call before closing `admin`. */
  close(): Promise<void>;
}

export interface ProvisionerOptions {
  /** A connection to the server used for CREATE/DROP DATABASE. */
  admin: Knex;
  /** URL of any database on the server; tenant URLs are derived from it. */
  serverUrl: string;
  databases: ServerDatabases;
  migrations: TenantMigrationSet;
  /** The template database's name; undefined: no template (every signup creates and migrates). */
  templateDb: string | undefined;
  /** This process's owner-lock key: names its spare databases (catalog/ownerLock.ts). */
  ownerKey: number;
  logger: Logger;
}

const failure = (step: string, error: unknown) =>
  new ProvisioningError(step, error instanceof Error ? error.message : String(error), {
    cause: error,
  });

export function createTenantProvisioner(opts: ProvisionerOptions): TenantProvisioner {
  const { admin, serverUrl, databases, migrations, templateDb: template, logger } = opts;
  const { schema } = migrations;
  const { ownership, reservedNames } = databases;
  const warmUps = createWarmUps(serverUrl, logger);
  let spares: SparePool | undefined;

  /** CREATE DATABASE from the template; false when it is unavailable (then create + migrate). */
  const tryClone = async (staging: string): Promise<boolean> => {
    if (!template) return false;
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
      void databases.drop(spare).catch(() => undefined);
      return false;
    }
  };

  return {
    schema,
    get spares() {
      return spares;
    },
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
        // A brand-new database: knex's migrator creates its tables. Its sessions warmed it.
        const version = await migrateWithKnex(serverUrl, staging, migrations.directory);
        return { version, warm: true };
      } catch (error) {
        throw failure('migrate', error);
      }
    },
    finalRename(signupId, dbName) {
      assertTenantDbName(dbName, reservedNames);
      return {
        staging: ownership.stagingName(signupId),
        dbName,
        marker: ownership.marker(signupId),
      };
    },
    warmLater: (dbName) => warmUps.later(dbName),
    async refreshTemplate() {
      if (!template) return false;
      try {
        await ensureTemplate({
          admin,
          serverUrl,
          template,
          latest: schema,
          migrationsDir: migrations.directory,
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
    keepSpares(size) {
      if (spares || size < 1 || !template) return;
      spares = createSparePool({
        size,
        nameFor: () => ownership.spareName(opts.ownerKey),
        create: async (name) => {
          if (!(await cloneTemplate(admin, template, name, schema))) return false;
          await warmUps.now(name);
          await sessionsGone(admin, name);
          return true;
        },
        drop: (name) => databases.drop(name),
        logger,
      });
      spares.fill();
    },
    async close() {
      await spares?.close();
      await warmUps.drained();
    },
  };
}
