import { spawn } from 'node:child_process';
import { ROOT_DIR } from '../../src/db/migrationSettings';

/**
 * `npm start` the way a process manager runs it: in a process group of its own, which npm,
 * node and the embedded postmaster share (the postmaster's own children leave it with
 * setsid). Signals go to the whole group, as a process manager sends them.
 */

export interface NpmStartGroup {
  /** npm's pid, which is the group's id. */
  pgid: number;
  /** Resolves when npm itself has exited (the rest of the group may still be running). */
  npmExited: Promise<void>;
  output(): string;
  /** Signals every process still in the group; none left is fine. */
  signalGroup(signal: NodeJS.Signals): void;
}

export function spawnNpmStart(env: Record<string, string>): NpmStartGroup {
  const child = spawn('npm', ['start'], {
    cwd: ROOT_DIR,
    detached: true,
    // A clean environment: only what the test passes (plus PATH), no developer .env surprises.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const npmExited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pgid = child.pid!;
  return {
    pgid,
    npmExited,
    output: () => out,
    signalGroup(signal) {
      try {
        process.kill(-pgid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** Resolves once the server says it listens; rejects with its output if npm exits first. */
export function untilListening(group: NpmStartGroup, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (group.output().includes('tenant signup service listening')) done(resolve);
      else if (Date.now() > deadline) done(() => reject(new Error('server did not start')));
    }, 50);
    const deadline = Date.now() + timeoutMs;
    const done = (fn: () => void) => {
      clearInterval(timer);
      fn();
    };
    void group.npmExited.then(() =>
      done(() => reject(new Error('npm exited before the server listened'))),
    );
  });
}
