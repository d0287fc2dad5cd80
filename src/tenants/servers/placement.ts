import type { ServerRow } from '../../catalog/serversRepository';
import { DatabaseUnavailableError } from '../../errors';
import type { TenantServer } from './tenantServer';
import type { TenantServers } from './tenantServers';

/**
 * Where a new tenant goes: among the servers that accept new tenants, have room
 * (`maxTenants`) and answer (a cached health check), the one with the fewest tenants; ties
 * are broken at random, so a burst of signups that all read the same counts spreads out.
 * None: 503 database_unavailable, before anything is reserved or created.
 */
export async function placeTenant(
  servers: TenantServers,
  rows: readonly ServerRow[],
  random: () => number = Math.random,
): Promise<TenantServer> {
  const candidates = rows
    .filter((r) => r.acceptsNewTenants && servers.has(r.name))
    .map((r) => ({ row: r, server: servers.get(r.name), tiebreak: random() }))
    .filter(({ row, server }) => server.maxTenants === undefined || row.tenants < server.maxTenants)
    .sort((a, b) => a.row.tenants - b.row.tenants || a.tiebreak - b.tiebreak);
  for (const { server } of candidates) {
    if (await server.reachable()) return server;
  }
  throw new DatabaseUnavailableError({ retryAfterSeconds: 10 });
}
