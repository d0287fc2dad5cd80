import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src';
import { waitUntil } from '../waitUntil';

// The package's command line as a developer runs it, as a child process in a clean
// environment and an empty working directory: its settings are its flags.

jest.setTimeout(60_000);

const MAIN = join(__dirname, '../../src/main.ts');
let cwd: string;
const running = new Set<ChildProcess>();

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'auth0-emulator-cli-'));
});
afterEach(async () => {
  // A failed test leaves no emulator behind (its pipes would keep jest from exiting).
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
  await rm(cwd, { recursive: true, force: true });
});

function startCli(args: string[], env: Record<string, string> = {}) {
  // tsx by absolute path: the working directory is outside the repository.
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output, exited };
}

/** Starts it, returns its URL once it prints it; stopped (SIGTERM) by the caller. */
async function serve(args: string[]) {
  const cli = startCli(args);
  const url = await waitUntil('the emulator to print its URL', () => {
    if (cli.child.exitCode !== null) throw new Error(`exited early:\n${cli.output.stderr}`);
    return /^Auth0 emulator listening on (http:\S+)$/m.exec(cli.output.stdout)?.[1];
  });
  return { ...cli, url };
}

interface TokenReply {
  access_token: string;
  scope: string;
}

async function token(url: string, audience: string) {
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
  return { status: res.status, body: (await res.json()) as TokenReply };
}

async function createUser(url: string, accessToken: string, connection: string) {
  const res = await fetch(`${url}/api/v2/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ email: 'head@example.com', password: 'Correct-Horse-9', connection }),
  });
  return { status: res.status, body: (await res.json()) as { message?: string } };
}

test('with flags: serves the given connections, API and control API, keeps its state in the given file, and stops on SIGTERM with exit 0', async () => {
  const stateFile = join(cwd, 'state', 'tenant.json');
  const em = await serve([
    '--port=0',
    '--state-file',
    stateFile,
    '--connection',
    'Teachers',
    '--api',
    'urn:example:api=sync:users,read:reports',
    '--control-api',
  ]);

  const api = await token(em.url, 'urn:example:api');
  expect(api.status).toBe(200);
  expect(api.body.scope).toBe('sync:users read:reports');
  const management = await token(em.url, `${em.url}/api/v2/`);
  expect(management.status).toBe(200);
  const created = await createUser(em.url, management.body.access_token, 'Teachers');
  expect(created.status).toBe(201);
  const defaultConnection = await createUser(
    em.url,
    management.body.access_token,
    'Username-Password-Authentication',
  );
  expect(defaultConnection).toEqual({
    status: 400,
    body: expect.objectContaining({ message: 'The connection does not exist.' }),
  });
  const fault = await fetch(`${em.url}/__emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: '/api/v2/users', status: 503 }),
  });
  expect(fault.status).toBe(201);
  expect((await createUser(em.url, management.body.access_token, 'Teachers')).status).toBe(503);

  em.child.kill('SIGTERM');
  expect(await em.exited).toBe(0);
  const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { users: { email: string }[] };
  expect(saved.users.map((u) => u.email)).toEqual(['head@example.com']);
  expect(existsSync(join(cwd, '.data'))).toBe(false);
});

test('without flags but a free port: keeps its state in .data/auth0-emulator.json under its working directory, with the default connection, no custom API and no control API', async () => {
  const em = await serve(['--port', '0']);

  expect(em.output.stdout).toContain(`state file:    ${join(cwd, '.data/auth0-emulator.json')}`);
  expect(existsSync(join(cwd, '.data/auth0-emulator.json'))).toBe(true);
  const management = await token(em.url, `${em.url}/api/v2/`);
  const created = await createUser(
    em.url,
    management.body.access_token,
    'Username-Password-Authentication',
  );
  expect(created.status).toBe(201);
  expect((await token(em.url, 'urn:example:api')).status).toBe(403);
  expect((await fetch(`${em.url}/__emulator/stats`)).status).toBe(404);

  em.child.kill('SIGTERM');
  expect(await em.exited).toBe(0);
});

test.each([
  [['--prot', '4010'], "Unknown option '--prot'"],
  [['--port', 'abc'], "--port must be a whole number from 0 to 65535, got 'abc'"],
])('%j: exits 2 with one line on stderr and starts nothing', async (args, message) => {
  const cli = startCli(args);

  expect(await cli.exited).toBe(2);
  expect(cli.output.stderr).toBe(`auth0-emulator: ${message} (--help for usage)\n`);
  expect(cli.output.stdout).toBe('');
  expect(existsSync(join(cwd, '.data'))).toBe(false);
});

test('--help: prints the flags and their defaults, exits 0', async () => {
  const cli = startCli(['--help']);

  expect(await cli.exited).toBe(0);
  expect(cli.output.stdout).toMatch(/^Usage: /);
  for (const flag of ['--port', '--state-file', '--connection', '--api', '--control-api']) {
    expect(cli.output.stdout).toContain(flag);
  }
  expect(cli.output.stderr).toBe('');
});

test('with NODE_ENV=production: refuses to start, exit 1', async () => {
  const cli = startCli(['--port', '0'], { NODE_ENV: 'production' });

  expect(await cli.exited).toBe(1);
  expect(cli.output.stderr).toBe(
    'Refusing to start the Auth0 emulator with NODE_ENV=production.\n',
  );
  expect(existsSync(join(cwd, '.data'))).toBe(false);
});
