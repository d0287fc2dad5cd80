import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_PUBLIC_CLIENT_ID,
} from '@tenant-signup/auth0-emulator';
import { ROOT_DIR } from '../../src/db/migrationSettings';
import { freePort } from '../helpers/serverProcess';
import { tempDir } from '../helpers/tempDir';
import { waitUntil } from '../helpers/waitUntil';

/**
 * `npm run auth0:emulator` (src/auth0/emulatorMain.ts) as a child process: the emulator the
 * service would start, with the service's configured port, state file, connection and API.
 */

jest.setTimeout(60_000);

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
});

function startEmulatorMain(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT_DIR, 'src', 'auth0', 'emulatorMain.ts')],
    {
      cwd: ROOT_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output, exited };
}

test("uses the service's AUTH0_EMULATOR_PORT, AUTH0_EMULATOR_STATE_FILE, AUTH0_CONNECTION, API_AUDIENCE and TENANT_CLAIM, and stops on SIGTERM with exit 0", async () => {
  const stateFile = path.join(await tempDir('emulator-main-'), 'auth0.json');
  const port = await freePort();
  const em = startEmulatorMain({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    AUTH0_EMULATOR_PORT: String(port),
    AUTH0_EMULATOR_STATE_FILE: stateFile,
    AUTH0_CONNECTION: 'Teachers',
    API_AUDIENCE: 'urn:example:api',
    TENANT_CLAIM: 'https://example.org/school',
  });
  const url = await waitUntil('the emulator to print its URL', () => {
    if (em.child.exitCode !== null) throw new Error(`exited early:\n${em.output.stderr}`);
    return /^Auth0 emulator listening on (http:\S+)$/m.exec(em.output.stdout)?.[1];
  });

  expect(url).toBe(`http://127.0.0.1:${port}`);
  expect(em.output.stdout).toContain(`state file:    ${stateFile}`);
  expect(em.output.stdout).toContain('connections:   Teachers\n');
  expect(em.output.stdout).toContain('custom APIs:   urn:example:api (sync:users)\n');
  const tokenFor = async (audience: string) => {
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: EMULATOR_CLIENT_ID,
        client_secret: EMULATOR_CLIENT_SECRET,
        audience,
      }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { access_token: string; scope: string },
    };
  };
  const api = await tokenFor('urn:example:api');
  expect(api).toMatchObject({ status: 200, body: { scope: 'sync:users' } });
  const management = await tokenFor(`${url}/api/v2/`);
  const created = await fetch(`${url}/api/v2/users`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${management.body.access_token}`,
    },
    body: JSON.stringify({
      email: 'head@example.com',
      password: 'Correct-Horse-9',
      connection: 'Teachers',
      app_metadata: { db_name: 'school_oak' },
    }),
  });
  expect(created.status).toBe(201);
  // A person's token, as `curl` or Swagger UI gets it: the public client, and the tenant's
  // default directory (AUTH0_CONNECTION) and audience (API_AUDIENCE).
  const login = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: EMULATOR_PUBLIC_CLIENT_ID,
      username: 'head@example.com',
      password: 'Correct-Horse-9',
      scope: 'sync:users',
    }).toString(),
  });
  expect(login.status).toBe(200);
  const { access_token: userToken } = (await login.json()) as { access_token: string };
  const claims = JSON.parse(
    Buffer.from(userToken.split('.')[1] ?? '', 'base64url').toString(),
  ) as Record<string, unknown>;
  expect(claims).toMatchObject({
    aud: 'urn:example:api',
    gty: 'password',
    scope: 'sync:users',
    'https://example.org/school': 'school_oak',
  });

  em.child.kill('SIGTERM');
  expect(await em.exited).toBe(0);
  const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { users: { email: string }[] };
  expect(saved.users.map((u) => u.email)).toEqual(['head@example.com']);
});

test('with NODE_ENV=production, even with Auth0 credentials configured: refuses to start, exit 1', async () => {
  const stateFile = path.join(await tempDir('emulator-main-'), 'auth0.json');
  const em = startEmulatorMain({
    NODE_ENV: 'production',
    AUTH0_DOMAIN: 'tenant.example.auth0.com',
    AUTH0_CLIENT_ID: 'id',
    AUTH0_CLIENT_SECRET: 'secret',
    AUTH0_EMULATOR_PORT: '0',
    AUTH0_EMULATOR_STATE_FILE: stateFile,
  });

  expect(await em.exited).toBe(1);
  expect(em.output.stderr).toBe('Refusing to start the Auth0 emulator with NODE_ENV=production.\n');
  expect(em.output.stdout).toBe('');
  expect(existsSync(stateFile)).toBe(false);
});
