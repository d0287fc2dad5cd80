import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ROOT_DIR } from '../../src/db/migrationSettings';

/** The real entry point (`node --require tsx/cjs src/server.ts`) as a child process, as `npm start` runs it. */

export interface ServerProcess {
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  child: ChildProcess;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const port = env.PORT ?? String(await freePort());
  // One process (no tsx wrapper process), so a SIGKILL really kills the server.
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT_DIR, 'src', 'server.ts')],
    {
      cwd: ROOT_DIR,
      // A clean environment: only what the test passes (plus PATH), no developer .env surprises.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: port },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: its pipes would keep jest from exiting.
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, timeoutMs);
    const check = () => {
      if (out.includes('tenant signup service listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
