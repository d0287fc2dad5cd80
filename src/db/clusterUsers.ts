import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Who on this machine is using one embedded PostgreSQL data directory, so that several
 * processes can share it: the server and the tenants CLI, or two CLIs started together.
 * Whoever finds the cluster stopped starts it; whoever leaves last stops it.
 *
 * - `<dataDir>.lock/` serialises joining and leaving (mkdir is atomic). A lock whose holder
 *   died (kill -9 mid-start) is taken over.
 * - `<dataDir>.users/<pid>` lists the users. A process killed with -9 leaves its file behind;
 *   a dead pid does not count, so it cannot keep the cluster running for ever.
 */

const LOCK_WAIT_MS = 120_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's (the postgres user's postmaster, when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A process killed with -9 answers signals until its parent reaps it; a zombie is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): the signal check is all there is
  }
}

/**
 * Whether `pid` runs `program` (so a pid from a file is not some unrelated process that
 * reused it). Without /proc (macOS) there is no telling: trust the pid, as pg_ctl does.
 */
export function runs(pid: number, program: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return true;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class ClusterUsers {
  private readonly lockDir: string;
  private readonly usersDir: string;

  constructor(dataDir: string) {
    this.lockDir = `${dataDir}.lock`;
    this.usersDir = `${dataDir}.users`;
  }

  /** Runs `fn` while no other process joins or leaves this cluster. */
  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(path.dirname(this.lockDir), { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        mkdirSync(this.lockDir);
        writeFileSync(path.join(this.lockDir, 'pid'), String(process.pid));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        this.takeOverIfAbandoned();
        if (Date.now() > deadline)
          throw new Error(`Timed out waiting for ${this.lockDir}`, { cause: error });
        await sleep(50);
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(this.lockDir, { recursive: true, force: true });
    }
  }

  /** Removes the lock if its holder is dead; a rename makes sure only one waiter does. */
  private takeOverIfAbandoned(): void {
    const holder = readPid(path.join(this.lockDir, 'pid'));
    // No pid yet: the holder is between mkdir and writeFile (or died right there, which
    // a later look, with the pid still missing, cannot tell apart; the deadline covers it).
    if (holder === undefined || isAlive(holder)) return;
    const aside = `${this.lockDir}.abandoned.${process.pid}`;
    try {
      renameSync(this.lockDir, aside);
      rmSync(aside, { recursive: true, force: true });
    } catch {
      // Another waiter took it over first.
    }
  }

  join(): void {
    mkdirSync(this.usersDir, { recursive: true });
    writeFileSync(path.join(this.usersDir, String(process.pid)), String(process.pid));
  }

  leave(): void {
    rmSync(path.join(this.usersDir, String(process.pid)), { force: true });
  }

  /** Other live processes using the cluster (stale entries of dead ones are removed). */
  others(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.usersDir);
    } catch {
      return [];
    }
    const live: number[] = [];
    for (const name of names) {
      const pid = Number.parseInt(name, 10);
      if (pid === process.pid) continue;
      if (Number.isInteger(pid) && isAlive(pid) && runs(pid, 'node')) live.push(pid);
      else rmSync(path.join(this.usersDir, name), { force: true });
    }
    return live;
  }
}
