import type { TenantServer } from './tenantServer';

/** Every tenant server of this deployment, by name; `default` is the catalog's own. */
export interface TenantServers {
  readonly default: TenantServer;
  /** The server of that name; throws for one that is not configured. */
  get(name: string): TenantServer;
  has(name: string): boolean;
  all(): readonly TenantServer[];
  /**
   * Names no school may get on any server (a school may move between them): system
   * databases aside, every server's template and admin database, and the catalog.
   */
  readonly reservedNames: ReadonlySet<string>;
}

export class UnknownServerError extends Error {
  override name = 'UnknownServerError';
  constructor(readonly server: string) {
    super(`no database server named ${server} is configured (DATABASE_SERVERS)`);
  }
}

export function tenantServers(servers: readonly TenantServer[]): TenantServers {
  const byName = new Map(servers.map((s) => [s.name, s]));
  const local = byName.get('default');
  if (!local) throw new Error('the default server is missing');
  return {
    default: local,
    get(name) {
      const server = byName.get(name);
      if (!server) throw new UnknownServerError(name);
      return server;
    },
    has: (name) => byName.has(name),
    reservedNames: new Set(servers.flatMap((s) => [...s.databases.reservedNames])),
    all: () => servers,
  };
}
