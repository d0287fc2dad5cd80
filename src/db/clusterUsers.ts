import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Who on this machine is using one embedded PostgreSQL data directory, so that several
 * processes can share it: the server and the tenants CLI, or two CLIs started together.
 * Whoever finds the cluster stopped starts it; whoever leaves last stops it.
 *
 * - `<dataDir>.lock/` serialises joining and leaving (it is renamed into place and away,
 *   which is atomic). A lock whose holder died (kill -9 mid-start) is taken over.
 * - `<dataDir>.users/<pid>` lists the users. A process killed with -9 leaves its file behind;
 *   a dead pid does not count, so it cannot keep the cluster running for ever.
 */

const LOCK_WAIT_MS = 120_000;

export interface ProcessLook {
  state: 'gone' | 'zombie' | 'running';
  /** The kernel's name for its program (comm): kept while it exits and as a zombie, unlike
   * its cmdline. Undefined without /proc (macOS). */
  program?: string;
}

export function lookAt(pid: number): ProcessLook {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's (the postgres user's postmaster, when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return { state: 'gone' };
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // ENOENT with /proc there: it went between the two looks. No /proc: the signal is all.
    const gone = (error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self');
    return { state: gone ? 'gone' : 'running' };
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
  const close = stat.lastIndexOf(')');
  const program = stat.slice(stat.indexOf('(') + 1, close);
  const state = stat.slice(close + 2, close + 3);
  // A process killed with -9 answers signals until its parent reaps it; a zombie is dead.
  return { state: state === 'Z' || state === 'X' ? 'zombie' : 'running', program };
}

export function isAlive(pid: number): boolean {
  return lookAt(pid).state === 'running';
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

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
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
    // The lock appears and goes with its pid in it (a rename each way): a kill -9 mid-way
    // must not leave a lock without a holder's pid, which nobody would dare take over.
    const staged = `${this.lockDir}.new.${process.pid}`;
    rmSync(staged, { recursive: true, force: true });
    mkdirSync(staged);
    writeFileSync(path.join(staged, 'pid'), String(process.pid));
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        // Replaces an empty directory: a holder-less lock an earlier version left behind.
        renameSync(staged, this.lockDir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        this.takeOverIfAbandoned();
        if (Date.now() > deadline) {
          rmSync(staged, { recursive: true, force: true });
          throw new Error(`Timed out waiting for ${this.lockDir}`, { cause: error });
        }
        await sleep(50);
      }
    }
    try {
      return await fn();
    } finally {
      const released = `${this.lockDir}.released.${process.pid}`;
      renameSync(this.lockDir, released);
      rmSync(released, { recursive: true, force: true });
    }
  }

  /** Removes the lock if its holder is dead; a rename makes sure only one waiter does. */
  private takeOverIfAbandoned(): void {
    const holder = readPid(path.join(this.lockDir, 'pid'));
    // No pid: debris of an earlier version, which made the lock first and wrote its pid
    // after (and removed them in that order too); given time to write it, it is abandoned.
    const abandoned = holder === undefined ? ageMs(this.lockDir) > 5_000 : !isAlive(holder);
    if (!abandoned) return;
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
    // Users killed with -9 never leave; pruned now, their pids cannot be reused meanwhile
    // by some other node process that would then keep the cluster running.
    this.others();
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
