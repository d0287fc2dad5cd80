import type { Response } from 'express';
import type { ClientBase } from 'pg';
import { pgErrorCode } from '../db/knexFactory';
import { TenantReadOnlyError, TenantUnknownError } from '../errors';
import type { ServedTenant, TenantDirectory } from './tenantDirectory';
import { tenantOf } from './tenantIdentity';

/**
 * A request's queries on its school's database, through the bounded tenant pools. SQL here
 * is always the route's own text with values as parameters: nothing from the request is ever
 * spliced into it.
 */

/** What the school's API needs of the tenant pools (tenants/pools). */
export interface TenantConnections {
  withConnection<T>(tenant: ServedTenant, work: (client: ClientBase) => Promise<T>): Promise<T>;
}

export interface TenantSql {
  rows<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `work` in one transaction: all of it or none. */
  transaction<T>(work: (sql: TenantSql) => Promise<T>): Promise<T>;
}

export type RunOnTenant = <T>(res: Response, work: (sql: TenantSql) => Promise<T>) => Promise<T>;

export function runOnTenant(pools: TenantConnections, directory: TenantDirectory): RunOnTenant {
  return async (res, work) => {
    const tenant = tenantOf(res);
    try {
      return await pools.withConnection(tenant, (client) => work(sqlOn(client)));
    } catch (error) {
      switch (pgErrorCode(error)) {
        case '3D000': // invalid_catalog_name: the database was dropped (the school deleted)
          directory.forget(tenant.dbName);
          throw new TenantUnknownError();
        case '25006': // read_only_sql_transaction: a move is switching the school's server
          throw new TenantReadOnlyError();
        default:
          throw error;
      }
    }
  };
}

function sqlOn(client: ClientBase): TenantSql {
  const sql: TenantSql = {
    async rows<R>(text: string, params: readonly unknown[] = []) {
      return (await client.query(text, [...params])).rows as R[];
    },
    async transaction(work) {
      await client.query('BEGIN');
      try {
        const result = await work(sql);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
  return sql;
}
