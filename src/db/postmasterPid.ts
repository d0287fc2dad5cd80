import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * A data directory's `postmaster.pid`, which PostgreSQL writes line by line as it starts
 * (miscadmin.h, LOCK_FILE_LINE_*): pid, data directory, start time, port, socket directory,
 * listen address, shared-memory key and id, status. Later lines may not be there yet.
 */
export interface PostmasterPid {
  pid: number;
  port?: number;
  /** Where the `.s.PGSQL.<port>.lock` socket lock file is, if it listens on a socket. */
  socketDir?: string;
  /** The System V segment every process of that postmaster stays attached to. */
  shmId?: number;
  /** starting, ready, stopping, standby (PostgreSQL ≥ 10). */
  status?: string;
}

function toInt(text: string | undefined): number | undefined {
  return text !== undefined && /^\s*-?\d+\s*$/.test(text) ? Number.parseInt(text, 10) : undefined;
}

export function parsePostmasterPid(text: string): PostmasterPid | undefined {
  const lines = text.split('\n');
  const pid = toInt(lines[0]);
  // A standalone backend (postgres --single) writes its pid negated; 0 or junk is no pid.
  if (pid === undefined || pid === 0) return undefined;
  const shm = (lines[6] ?? '').trim().split(/\s+/);
  return {
    pid: Math.abs(pid),
    port: toInt(lines[3]),
    socketDir: lines[4]?.trim() || undefined,
    shmId: shm.length === 2 ? toInt(shm[1]) : undefined,
    status: lines[7]?.trim() || undefined,
  };
}

export function pidFilePath(dataDir: string): string {
  return path.join(dataDir, 'postmaster.pid');
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function readPostmasterPid(dataDir: string): PostmasterPid | undefined {
  const text = readText(pidFilePath(dataDir));
  return text === undefined ? undefined : parsePostmasterPid(text);
}

/**
 * How many processes are attached to System V segment `shmId` (0 when it is gone), from
 * /proc/sysvipc/shm; undefined without it (macOS), where PostgreSQL's own check is all.
 */
export function sharedMemoryAttachments(shmId: number): number | undefined {
  const table = readText('/proc/sysvipc/shm');
  if (table === undefined) return undefined;
  const [header, ...rows] = table.trim().split('\n');
  const columns = (header ?? '').trim().split(/\s+/);
  const idAt = columns.indexOf('shmid');
  const nattchAt = columns.indexOf('nattch');
  if (idAt < 0 || nattchAt < 0) return undefined;
  for (const row of rows) {
    const cells = row.trim().split(/\s+/);
    if (toInt(cells[idAt]) === shmId) return toInt(cells[nattchAt]);
  }
  return 0;
}

/**
 * Removes the lock files (data directory and socket) that still name `pid`, for a pid that
 * is certainly no running postmaster. Only files naming that very pid go: one a new
 * postmaster has written meanwhile names its own. Returns the files removed.
 */
export function removeLockFilesOf(dataDir: string, lock: PostmasterPid): string[] {
  const files = [pidFilePath(dataDir)];
  if (lock.socketDir && lock.port !== undefined)
    files.push(path.join(lock.socketDir, `.s.PGSQL.${lock.port}.lock`));
  const removed: string[] = [];
  for (const file of files) {
    const text = readText(file);
    if (text === undefined || parsePostmasterPid(text)?.pid !== lock.pid) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  return removed;
}
