import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT_DIR } from '../../src/db/migrationSettings';

/**
 * A real PostgreSQL server of a test's own, which it may stop and start again (a restart,
 * an outage) without disturbing the shared test server. Data survives stop().
 */

export interface PgCluster {
  /** URL of its `postgres` database. */
  url: string;
  /** Fast shutdown; resolves once the postmaster has exited. */
  stop(): Promise<void>;
}

export async function startPgCluster(dataDir: string, port: number): Promise<PgCluster> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT_DIR, 'test', 'helpers', 'pgClusterMain.ts')],
    {
      cwd: ROOT_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PG_CLUSTER_DIR: dataDir,
        PG_CLUSTER_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const ready = /^ready (\S+)$/m.exec(out);
      if (ready) resolve(ready[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`cluster exited with ${code}:\n${out}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
