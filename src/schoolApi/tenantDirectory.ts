import type { SchoolsRepository } from '../catalog/schoolsRepository';
import type { Logger } from '../logger';
import type { TenantServers } from '../tenants/servers/tenantServers';

/**
 * Where a school's database is, for the school's API: db_name → its server and URL, for ready
 * schools only. Lookups are cached briefly (a busy school would otherwise cost a catalog
 * query per request) and forgotten the moment the catalog says the school changed — deleted,
 * moved, no longer ready — whichever process changed it (NOTIFY school_changed). While that
 * notice channel is down nothing is cached: a stale answer could serve a deleted school.
 */

export interface ServedTenant {
  dbName: string;
  /** The server's name (`default`: the catalog's own). */
  server: string;
  url: string;
}

export interface TenantDirectory {
  /** The ready school with this database, or undefined (unknown, not ready, deleted). */
  find(dbName: string): Promise<ServedTenant | undefined>;
  /** Forget what is known of the school (its pool goes too, through `onForget`). */
  forget(dbName: string): void;
  close(): Promise<void>;
}

export interface TenantDirectoryOptions {
  schools: Pick<SchoolsRepository, 'servingServer' | 'onChange'>;
  servers: Pick<TenantServers, 'get' | 'has'>;
  ttlMs: number;
  logger: Logger;
  /** Runs for every school forgotten: the pools close its connections. */
  onForget(dbName: string): void;
}

/** Entries kept at most: unknown names are cached too, and must not grow without end. */
const MAX_ENTRIES = 10_000;
const RELISTEN_MS = { first: 500, max: 30_000 };

interface Entry {
  tenant: ServedTenant | undefined;
  expiresAt: number;
}

export async function openTenantDirectory(opts: TenantDirectoryOptions): Promise<TenantDirectory> {
  const { schools, servers, ttlMs, logger } = opts;
  const onForget = (dbName: string) => opts.onForget(dbName);
  const cache = new Map<string, Entry>();
  // Bumped by every change notice: a lookup that started before one must not be cached.
  let generation = 0;
  let listening = false;
  let closed = false;
  let unlisten: (() => Promise<void>) | undefined;
  let relistenTimer: NodeJS.Timeout | undefined;

  const forget = (dbName: string) => {
    generation++;
    cache.delete(dbName);
    onForget(dbName);
  };

  const listen = async (delayMs: number): Promise<void> => {
    try {
      unlisten = await schools.onChange(forget, (error) => {
        if (closed) return;
        logger.warn({ err: error }, 'school change notices lost; not caching until they are back');
        listening = false;
        cache.clear();
        void unlisten?.();
        relisten(RELISTEN_MS.first);
      });
      if (closed) return void (await unlisten());
      listening = true;
    } catch (error) {
      logger.warn({ err: error }, 'cannot listen for school changes; retrying');
      relisten(Math.min(delayMs * 2, RELISTEN_MS.max));
    }
  };
  const relisten = (delayMs: number) => {
    if (closed) return;
    relistenTimer = setTimeout(() => void listen(delayMs), delayMs);
    relistenTimer.unref();
  };
  await listen(RELISTEN_MS.first);

  async function lookUp(dbName: string): Promise<ServedTenant | undefined> {
    const serverName = await schools.servingServer(dbName);
    // Start-up refuses a catalog naming a server it does not configure; still, never guess.
    if (serverName === undefined || !servers.has(serverName)) return undefined;
    return { dbName, server: serverName, url: servers.get(serverName).urlOf(dbName) };
  }

  return {
    async find(dbName) {
      const cached = cache.get(dbName);
      if (cached && cached.expiresAt > Date.now()) return cached.tenant;
      const started = generation;
      const tenant = await lookUp(dbName);
      if (listening && started === generation) {
        cache.delete(dbName); // re-inserted at the end: the Map's order is the eviction order
        cache.set(dbName, { tenant, expiresAt: Date.now() + ttlMs });
        if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      }
      return tenant;
    },
    forget,
    async close() {
      closed = true;
      clearTimeout(relistenTimer);
      await unlisten?.();
    },
  };
}
