import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { runTenantsCli } from '../helpers/cliProcess';
import { freePort, startServerProcess } from '../helpers/serverProcess';
import { signupBody } from '../helpers/signupData';

/**
 * The zero-setup path (no DATABASE_URL, no Auth0 settings), where every process on the
 * machine shares one embedded PostgreSQL data folder: commands started together, a command
 * beside a running server. Whoever finds it stopped starts it; the last one out stops it.
 * Each test gets its own data folder and ports.
 */

jest.setTimeout(180_000);

let dir: string;
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'embedded-cluster-'));
  await chmod(dir, 0o755); // the postgres user must reach its data folder when we are root
  env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    EMBEDDED_PG_DATA_DIR: path.join(dir, 'postgres'),
    EMBEDDED_PG_PORT: String(await freePort()),
    AUTH0_EMULATOR_PORT: String(await freePort()),
    AUTH0_EMULATOR_STATE_FILE: path.join(dir, 'auth0-emulator.json'),
    RECONCILE_INTERVAL_SECONDS: '0',
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Is a postmaster alive on the test's data folder? */
function clusterRunning(): boolean {
  const pidFile = path.join(env.EMBEDDED_PG_DATA_DIR!, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number.parseInt(readFileSync(pidFile, 'utf8'), 10), 0);
    return true;
  } catch {
    return false;
  }
}

test('two tenants commands started together on a stopped cluster both succeed, and the last one out stops it', async () => {
  const [a, b] = await Promise.all([
    runTenantsCli(['migrate'], env),
    runTenantsCli(['migrate'], env),
  ]);

  expect({ a: a.code, b: b.code, stderr: `${a.stderr}${b.stderr}` }).toMatchObject({
    a: 0,
    b: 0,
  });
  for (const run of [a, b]) expect(run.stdout).toMatch(/^0 tenants: 0 already up to date/);
  expect(clusterRunning()).toBe(false);
});

test('a tenants command beside a running server shares its cluster and leaves it running for the server', async () => {
  const server = await startServerProcess({
    ...env,
    LOG_LEVEL: 'info',
    SIGNUP_RATE_LIMIT_MAX: '100',
  });
  try {
    const first = signupBody('Shared One');
    const before = await request(server.url).post('/users').send(first.request);
    expect(before.status).toBe(201);

    const status = await runTenantsCli(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(first.dbName);

    expect(clusterRunning()).toBe(true);
    const after = await request(server.url).post('/users').send(signupBody('Shared Two').request);
    expect(after.status).toBe(201);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  expect(clusterRunning()).toBe(false);
});
