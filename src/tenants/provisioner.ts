import type { Knex } from '../db/knexFactory';
import { DatabaseNameUnavailableError, ProvisioningError } from '../errors';
import {
  createStagingDatabase,
  DatabaseAlreadyExistsError,
  databaseExists,
  databaseOwner,
  dropDatabase,
  promoteDatabase,
  stagingDbName,
} from './tenantDatabases';
import { migrateTenant } from './tenantMigrator';

/** Creates, migrates and drops tenant databases on the catalog's server. */
export interface TenantProvisioner {
  /** Database names no school may get (system databases, the catalog, the template). */
  readonly reservedNames: ReadonlySet<string>;
  /** True when a database with this name exists (ours or not). */
  exists(dbName: string): Promise<boolean>;
  /** Creates, tags and migrates the signup's staging database; returns its name. */
  prepare(signupId: string): Promise<string>;
  /** Renames the staging database to the school's name (409 if that name is taken). */
  promote(staging: string, dbName: string): Promise<void>;
  /** Migrates a live tenant database to the latest version; returns that version. */
  migrate(dbName: string): Promise<string>;
  /** Drops `dbName` only if it carries this signup's ownership marker; true if dropped. */
  dropIfOwned(dbName: string, signupId: string): Promise<boolean>;
  /** Drops the signup's staging database if it exists. */
  dropStaging(signupId: string): Promise<void>;
  /** The signup id that created `dbName`, from its marker. */
  ownerOf(dbName: string): Promise<string | undefined>;
}

export interface ProvisionerOptions {
  /** A connection to the server (the catalog database) used for CREATE/DROP DATABASE. */
  admin: Knex;
  /** URL of any database on the server; tenant URLs are derived from it. */
  serverUrl: string;
  reservedNames: ReadonlySet<string>;
  /** Where tenant migrations live (default: tenant-migrations/). */
  migrationsDir?: string;
}

const failure = (step: string, error: unknown) =>
  new ProvisioningError(step, error instanceof Error ? error.message : String(error));

export function createTenantProvisioner(opts: ProvisionerOptions): TenantProvisioner {
  const { admin, serverUrl, reservedNames, migrationsDir } = opts;
  return {
    reservedNames,
    exists: (dbName) => databaseExists(admin, dbName),
    async prepare(signupId) {
      let staging: string;
      try {
        staging = await createStagingDatabase(admin, signupId, reservedNames);
      } catch (error) {
        throw failure('create database', error);
      }
      try {
        await migrateTenant(serverUrl, staging, migrationsDir);
      } catch (error) {
        throw failure('migrate', error);
      }
      return staging;
    },
    async promote(staging, dbName) {
      try {
        await promoteDatabase(admin, staging, dbName, reservedNames);
      } catch (error) {
        if (error instanceof DatabaseAlreadyExistsError) throw new DatabaseNameUnavailableError();
        throw failure('rename database', error);
      }
    },
    async migrate(dbName) {
      try {
        return await migrateTenant(serverUrl, dbName, migrationsDir);
      } catch (error) {
        throw failure('migrate', error);
      }
    },
    async dropIfOwned(dbName, signupId) {
      if ((await databaseOwner(admin, dbName)) !== signupId) return false;
      await dropDatabase(admin, dbName, reservedNames);
      return true;
    },
    dropStaging: (signupId) => dropDatabase(admin, stagingDbName(signupId), reservedNames),
    ownerOf: (dbName) => databaseOwner(admin, dbName),
  };
}
