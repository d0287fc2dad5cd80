import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { runLoad, seededRandom, uniform, zipf, type Chooser, type LoadRun } from './routingLoad';

/**
 * The school's API clients in a process of their own, as a school's apps are not in the
 * service's process: in the service's thread, their HTTP client work (about a sixth of it
 * under load) counted in every request's latency. They still share the machine's CPUs.
 */

/** Which school each request goes to: always the first, uniformly, or Zipf (rank = index). */
export type Mix =
  { kind: 'hot' } | { kind: 'uniform'; seed: number } | { kind: 'zipf'; s: number; seed: number };

type Job = { mix: Mix; clients: number; seconds: number };
type FromParent = { tokens: string[]; baseUrl: string } | Job;

export interface LoadProcess {
  run(job: Job): Promise<LoadRun>;
  stop(): Promise<void>;
}

export function chooser(mix: Mix, n: number): Chooser {
  if (mix.kind === 'hot') return () => 0;
  const random = seededRandom(mix.seed);
  return mix.kind === 'uniform' ? uniform(n, random) : zipf(n, mix.s, random);
}

export function startLoadProcess(baseUrl: string, tokens: string[]): LoadProcess {
  const proc: ChildProcess = fork(__filename, ['child'], {
    execArgv: ['--require', 'tsx/cjs'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    proc.once('exit', (code) => reject(new Error(`the load process exited (${code})`))),
  );
  exited.catch(() => undefined);
  proc.send({ tokens, baseUrl } satisfies FromParent);
  return {
    run: (job) =>
      Promise.race([
        new Promise<LoadRun>((resolve) => {
          proc.once('message', (run) => resolve(run as LoadRun));
          proc.send(job satisfies FromParent);
        }),
        exited,
      ]),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

function child(): void {
  let tokens: string[] = [];
  let baseUrl = '';
  process.on('message', (message: FromParent) => {
    if ('tokens' in message) {
      tokens = message.tokens;
      baseUrl = message.baseUrl;
      return;
    }
    void runLoad(baseUrl, tokens, chooser(message.mix, tokens.length), message).then((run) =>
      process.send!(run),
    );
  });
  // The parent's exit ends the IPC channel: go with it.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === 'child' && path.resolve(process.argv[1] ?? '') === __filename) child();
