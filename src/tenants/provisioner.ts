import type { Knex } from '../db/knexFactory';
import { DatabaseNameUnavailableError, ProvisioningError } from '../errors';
import { createDatabase, DatabaseAlreadyExistsError, dropDatabase } from './tenantDatabases';
import { migrateTenant } from './tenantMigrator';

/** Creates, migrates and drops tenant databases on the catalog's server. */
export interface TenantProvisioner {
  /** Database names no school may get (system databases, the catalog). */
  readonly reservedNames: ReadonlySet<string>;
  createDatabase(dbName: string): Promise<void>;
  migrate(dbName: string): Promise<string>;
  dropDatabase(dbName: string): Promise<void>;
}

export interface ProvisionerOptions {
  /** A connection to the server (the catalog database) used for CREATE/DROP DATABASE. */
  admin: Knex;
  /** URL of any database on the server; tenant URLs are derived from it. */
  serverUrl: string;
  reservedNames: ReadonlySet<string>;
}

export function createTenantProvisioner(opts: ProvisionerOptions): TenantProvisioner {
  const { admin, serverUrl, reservedNames } = opts;
  return {
    reservedNames,
    async createDatabase(dbName) {
      try {
        await createDatabase(admin, dbName, reservedNames);
      } catch (error) {
        if (error instanceof DatabaseAlreadyExistsError) throw new DatabaseNameUnavailableError();
        throw new ProvisioningError('create database', (error as Error).message);
      }
    },
    async migrate(dbName) {
      try {
        return await migrateTenant(serverUrl, dbName);
      } catch (error) {
        throw new ProvisioningError('migrate', (error as Error).message);
      }
    },
    dropDatabase: (dbName) => dropDatabase(admin, dbName, reservedNames),
  };
}
