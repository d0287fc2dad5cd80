import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  startAuth0Emulator,
  type Auth0EmulatorOptions,
  type RateLimitOptions,
} from '@tenant-signup/auth0-emulator';

/**
 * The Auth0 emulator in a process of its own, as Auth0 is a service of its own: its users,
 * password hashing and HTTP handling then do not count in the service's RSS (they did when
 * it ran in-process, and its allocations alone moved RSS by tens of MB). It still shares the
 * machine's CPUs with the service, as a local Auth0 stand-in does.
 */

export interface EmulatorProcess {
  url: string;
  /** Client-credentials grants served so far (the emulator's control API). */
  tokenRequestCount(): Promise<number>;
  stop(): Promise<void>;
}

/** Unthrottled unless a phase asks for Auth0's limit (throttled.ts). */
const UNLIMITED: RateLimitOptions = { limit: 100000, windowSeconds: 1 };

/**
 * How the school's users log in (password-realm grant): the service's API, with the school
 * in a claim as the post-login Action adds it. Plain JSON, passed to the child on its command
 * line.
 */
export type EmulatorLogin = Pick<
  Auth0EmulatorOptions,
  'apis' | 'defaultAudience' | 'defaultDirectory' | 'userClaims'
>;

/**
 * Started with `node --require tsx/cjs bench/emulatorProcess.ts child [options JSON]`:
 * prints its URL, then serves.
 */
async function child(options: Auth0EmulatorOptions): Promise<void> {
  const emulator = await startAuth0Emulator({ ...options, enableControlApi: true });
  process.stdout.write(`${emulator.url}\n`);
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}

export async function startEmulatorProcess(
  rateLimit: RateLimitOptions = UNLIMITED,
  login: EmulatorLogin = {},
): Promise<EmulatorProcess> {
  const options: Auth0EmulatorOptions = { ...login, rateLimit };
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', __filename, 'child', JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    proc.once('exit', (code) => reject(new Error(`the Auth0 emulator exited (${code})`)));
  });
  return {
    url,
    async tokenRequestCount() {
      const res = await fetch(`${url}/__emulator/stats`);
      return ((await res.json()) as { tokenRequests: number }).tokenRequests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

if (process.argv[2] === 'child' && path.resolve(process.argv[1] ?? '') === __filename)
  void child(
    process.argv[3]
      ? (JSON.parse(process.argv[3]) as Auth0EmulatorOptions)
      : { rateLimit: UNLIMITED },
  );
