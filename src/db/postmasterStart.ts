import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';
import { lookAt } from './clusterUsers';
import {
  readPostmasterPid,
  removeLockFilesOf,
  sharedMemoryAttachments,
  type PostmasterPid,
} from './postmasterPid';

/**
 * Starting a postmaster over whatever the last one left (issue 12: restart right after a
 * kill -9 of the process group). PostgreSQL removes a stale postmaster.pid itself, but only
 * once its pid is gone: it refuses while that pid is still exiting, is a zombie that init
 * has not reaped yet, or belongs to another program by now, and while any of the old
 * postmaster's children (which leave its process group, so outlive a group kill for a
 * moment) is still attached to its shared memory. So: wait, bounded, for the old processes
 * to go; remove lock files only of a pid that is certainly no running postmaster; retry
 * while PostgreSQL still refuses for one of those reasons; and fail with its own words.
 */

const START_WAIT_MS = 60_000;
const POSTGRES_PROGRAMS = new Set(['postgres', 'postmaster']);
const REFUSED_OVER_LEFTOVERS = [/lock file ".*" already exists/, /shared memory block .* in use/];

type Leftover =
  | { action: 'wait'; kind: 'running' | 'attached'; lock: PostmasterPid; attached?: number }
  | { action: 'remove'; kind: 'zombie' | 'reused'; lock: PostmasterPid; program?: string };

/** What stands in the way of a new postmaster on `dataDir`, if anything. */
function leftoverOf(dataDir: string): Leftover | undefined {
  const lock = readPostmasterPid(dataDir);
  if (lock === undefined) return undefined;
  const proc = lookAt(lock.pid);
  // Without /proc there is no telling whose the pid is: trust it, as pg_ctl does.
  const postgres = proc.program === undefined || POSTGRES_PROGRAMS.has(proc.program);
  if (proc.state === 'running' && postgres) return { action: 'wait', kind: 'running', lock };
  const attached = lock.shmId === undefined ? undefined : sharedMemoryAttachments(lock.shmId);
  if (attached) return { action: 'wait', kind: 'attached', lock, attached };
  if (proc.state === 'gone') return undefined; // PostgreSQL takes a stale lock file over
  if (proc.state === 'zombie') return { action: 'remove', kind: 'zombie', lock };
  return { action: 'remove', kind: 'reused', lock, program: proc.program };
}

async function makeWay(dataDir: string, deadline: number, logger: Logger): Promise<void> {
  let said = '';
  for (;;) {
    const leftover = leftoverOf(dataDir);
    if (leftover === undefined) return;
    const { lock, ...about } = leftover;
    const fields = { ...about, pid: lock.pid, status: lock.status };
    if (leftover.action === 'remove') {
      const removed = removeLockFilesOf(dataDir, lock);
      if (removed.length > 0) {
        logger.info({ ...fields, removed }, 'removed the lock files of a postmaster that is gone');
        continue;
      }
    }
    // Past the deadline PostgreSQL's own refusal says what is still in the way.
    if (Date.now() > deadline) return;
    if (said !== `${leftover.kind}:${lock.pid}`) {
      said = `${leftover.kind}:${lock.pid}`;
      logger.info(fields, 'waiting for the previous embedded PostgreSQL to be gone');
    }
    await sleep(50);
  }
}

/** The postmaster's last output lines, to say why it did not start. */
export class PostmasterLog {
  private lines: string[] = [];

  add(chunk: string): void {
    for (const line of chunk.split('\n')) if (line.trim()) this.lines.push(redact(line.trim()));
    this.lines.splice(0, Math.max(0, this.lines.length - 20));
  }

  clear(): void {
    this.lines = [];
  }

  /** Its FATAL (or PANIC) line with the HINT or DETAIL after it, without the line prefix. */
  reason(): string | undefined {
    const at = this.lines.findIndex((line) => /\b(FATAL|PANIC):/.test(line));
    if (at < 0) return undefined;
    const withNext = /\b(HINT|DETAIL):/.test(this.lines[at + 1] ?? '') ? 2 : 1;
    return this.lines
      .slice(at, at + withNext)
      .map((line) => line.replace(/^.*?\b(?=(FATAL|PANIC|HINT|DETAIL):)/, '').replace(/\s+/g, ' '))
      .join('; ');
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/** Trust auth puts no password in the log; should a setting ever carry one, it stays out. */
function redact(line: string): string {
  return line
    .replace(/(password\s*[=:]\s*)\S+/gi, '$1[redacted]')
    .replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1[redacted]@');
}

export interface PostmasterStart {
  dataDir: string;
  port: number;
  logger: Logger;
  /** Where the postmaster's output goes while it starts. */
  log: PostmasterLog;
  /** Spawns it; resolves once it accepts connections, rejects if it exits first. */
  spawn: () => Promise<void>;
}

export async function startPostmaster(opts: PostmasterStart): Promise<void> {
  const deadline = Date.now() + START_WAIT_MS;
  for (let attempt = 1; ; attempt++) {
    await makeWay(opts.dataDir, deadline, opts.logger);
    opts.log.clear();
    try {
      await opts.spawn();
      if (attempt > 1) opts.logger.info({ attempt }, 'embedded PostgreSQL started on a retry');
      return;
    } catch (error) {
      const reason = opts.log.reason() ?? (error instanceof Error ? error.message : undefined);
      if (reason && REFUSED_OVER_LEFTOVERS.some((re) => re.test(reason)) && Date.now() < deadline) {
        opts.logger.info({ attempt, reason }, 'embedded PostgreSQL refused to start; retrying');
        await sleep(200);
        continue;
      }
      throw startFailure(opts.port, reason, opts.log.text(), error);
    }
  }
}

function startFailure(port: number, reason: string | undefined, log: string, error: unknown) {
  // Only a failed bind means the port: other causes must not send people looking at it.
  const portTaken = /could not bind|Address already in use/.test(log);
  const hint = portTaken ? ' (is the port taken? set EMBEDDED_PG_PORT)' : '';
  const cause = log ? new Error(`postmaster output:\n${log}`) : error;
  return new Error(
    `Embedded PostgreSQL failed to start on port ${port}: ${reason ?? 'it exited'}${hint}`,
    { cause },
  );
}
