import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT_DIR } from '../../src/db/migrationSettings';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run tenants -- <args>` as an operator runs it, in a clean environment plus `env`. */
export function runTenantsCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT_DIR, 'src', 'cli', 'tenants.ts'), ...args],
    {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
