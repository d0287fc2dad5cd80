import type { Knex } from '../db/knexFactory';

/**
 * catalog.database_servers: the tenant servers by name (their URLs live in configuration,
 * never here), whether each accepts new tenants, and how many tenants each holds.
 */

export interface ServerRow {
  name: string;
  acceptsNewTenants: boolean;
  /** Schools placed there, in any state (a reservation counts: it is about to be a tenant). */
  tenants: number;
}

export interface ServersRepository {
  /** Adds a row for each name that has none (a new server starts accepting tenants). */
  register(names: readonly string[]): Promise<void>;
  /** Servers that hold schools but are not among `configured`, with how many. */
  withTenantsBesides(configured: readonly string[]): Promise<{ name: string; tenants: number }[]>;
  /** Every registered server, by name. */
  list(): Promise<ServerRow[]>;
  /** Stops or resumes placing new tenants there; false when there is no such server. */
  setAccepting(name: string, accepts: boolean): Promise<boolean>;
}

export function createServersRepository(db: Knex): ServersRepository {
  return {
    async register(names) {
      if (names.length === 0) return;
      await db.raw(
        `INSERT INTO catalog.database_servers (name)
         SELECT unnest(?::text[]) ON CONFLICT (name) DO NOTHING`,
        [[...names]],
      );
    },
    async withTenantsBesides(configured) {
      const { rows } = await db.raw<{ rows: { name: string; tenants: number }[] }>(
        `SELECT server AS name, count(*)::int AS tenants FROM catalog.schools
          WHERE NOT server = ANY(?::text[]) GROUP BY server ORDER BY server`,
        [[...configured]],
      );
      return rows;
    },
    async list() {
      const { rows } = await db.raw<{ rows: ServerRow[] }>(
        `SELECT d.name, d.accepts_new_tenants AS "acceptsNewTenants",
                (SELECT count(*)::int FROM catalog.schools s WHERE s.server = d.name) AS tenants
           FROM catalog.database_servers d ORDER BY d.name`,
      );
      return rows;
    },
    async setAccepting(name, accepts) {
      const updated = await db('catalog.database_servers')
        .where({ name })
        .update({ accepts_new_tenants: accepts });
      return updated > 0;
    },
  };
}
