import { databaseNameOf } from '../db/databaseUrl';
import { createKnex, type Knex } from '../db/knexFactory';
import type { Logger } from '../logger';
import { createBackgroundJobs, type BackgroundJobs } from './backgroundJobs';
import { migrateCatalog } from './migrateCatalog';
import { createMovesRepository, type MovesRepository } from './movesRepository';
import { createOutboxRepository, type OutboxRepository } from './outboxRepository';
import { acquireOwnerLock, liveOwnerKeys, type OwnerLock } from './ownerLock';
import { whileReconciling } from './reconcileLock';
import { createSchoolsRepository, type SchoolsRepository } from './schoolsRepository';
import { createServersRepository, type ServersRepository } from './serversRepository';
import { createTenantVersionsRepository, type TenantVersionsRepository } from './tenantVersions';
import { createTombstonesRepository, type TombstonesRepository } from './tombstonesRepository';
import { createUsersRepository, type UsersRepository } from './usersRepository';

/**
 * The catalog database, and the only door to its tables: use cases, commands, the fleet and
 * the reconciler call these repositories and never see a query builder. One knex pool
 * serves them all.
 */
export interface Catalog {
  schools: SchoolsRepository;
  /** catalog.schools as the fleet migration reads and records it. */
  tenantVersions: TenantVersionsRepository;
  tombstones: TombstonesRepository;
  users: UsersRepository;
  outbox: OutboxRepository;
  jobs: BackgroundJobs;
  /** The tenant servers: registered names, draining, tenants per server. */
  servers: ServersRepository;
  /** Tenants being moved to another server. */
  moves: MovesRepository;
  /** Runs `fn` unless another process is reconciling; false when one is. */
  whileReconciling(fn: () => Promise<void>): Promise<boolean>;
  /** Owner-lock keys whose process is alive (catalog/ownerLock.ts). */
  liveOwnerKeys(): Promise<Set<number>>;
  /** Takes this process's owner lock, held until released. */
  acquireOwnerLock(logger: Logger): Promise<OwnerLock>;
  /** One round trip through the pool signups use (readiness probes). */
  ping(): Promise<void>;
  /** The catalog database's name (the deployment's tag is made from it). */
  readonly databaseName: string;
  close(): Promise<void>;
}

/** Connects to the catalog database and brings its schema up to date. */
export async function openCatalog(url: string): Promise<Catalog> {
  const db = createKnex(url, { pool: { min: 0, max: 10 } });
  try {
    await migrateCatalog(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return catalogOf(db, url);
}

function catalogOf(db: Knex, url: string): Catalog {
  return {
    schools: createSchoolsRepository(db, url),
    tenantVersions: createTenantVersionsRepository(db),
    tombstones: createTombstonesRepository(db),
    users: createUsersRepository(db),
    outbox: createOutboxRepository(db, url),
    jobs: createBackgroundJobs(db),
    servers: createServersRepository(db),
    moves: createMovesRepository(db),
    whileReconciling: (fn) => whileReconciling(db, fn),
    liveOwnerKeys: () => liveOwnerKeys(db),
    acquireOwnerLock: (logger) => acquireOwnerLock(url, logger),
    ping: async () => {
      await db.raw('select 1');
    },
    databaseName: databaseNameOf(url),
    close: () => db.destroy(),
  };
}
