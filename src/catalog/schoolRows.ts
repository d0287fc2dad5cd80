/** catalog.schools rows as the rest of the service sees them. */

export type SchoolStatus = 'provisioning' | 'ready' | 'failed';

export interface School {
  id: string;
  name: string;
  dbName: string;
  email: string;
  auth0UserId: string | null;
  status: SchoolStatus;
  /** The database server it lives on (`default`: the catalog's own). */
  server: string;
  migrationVersion: string | null;
  /** Fingerprint of the tenant migrations it was brought to (TenantSchema). */
  migrationSet: string | null;
  ownerKey: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface SchoolRow {
  id: string;
  name: string;
  db_name: string;
  email: string;
  auth0_user_id: string | null;
  status: SchoolStatus;
  server: string;
  migration_version: string | null;
  migration_set: string | null;
  owner_key: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export function toSchool(row: SchoolRow): School {
  return {
    id: row.id,
    name: row.name,
    dbName: row.db_name,
    email: row.email,
    auth0UserId: row.auth0_user_id,
    status: row.status,
    server: row.server,
    migrationVersion: row.migration_version,
    migrationSet: row.migration_set,
    ownerKey: row.owner_key,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every `last_error` column keeps this much of a message: enough to act on, never a dump. */
export const clipError = (message: string): string => message.slice(0, 1000);
