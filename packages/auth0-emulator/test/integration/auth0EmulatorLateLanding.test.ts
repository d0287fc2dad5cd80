import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
  type Auth0EmulatorOptions,
  type EmulatorUser,
} from '../../src';
import { waitUntil } from '../waitUntil';

// The landAfterMs fault: an Auth0 create that takes effect after its caller has gone (issue 12:
// the server is killed while Auth0 is still processing its POST /api/v2/users). Real HTTP only.

const CONNECTION = 'Username-Password-Authentication';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(
  em: Auth0Emulator,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const res = await fetch(`${em.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function tokenFor(em: Auth0Emulator): Promise<string> {
  const reply = await call(em, 'POST', '/oauth/token', {
    json: {
      grant_type: 'client_credentials',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      audience: em.managementAudience,
    },
  });
  return (reply.body as { access_token: string }).access_token;
}

const newUser = (email: string) => ({ email, password: 'Correct-Horse-9', connection: CONNECTION });

/**
 * A create sent the way a process sends one before it is killed: `vanish()` closes the socket
 * with nothing said, as the kernel does for a dead process.
 */
function createThenVanish(em: Auth0Emulator, token: string, email: string) {
  const body = JSON.stringify(newUser(email));
  let answered = false;
  const req = request(`${em.url}/api/v2/users`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const outcome = new Promise<string>((resolve) => {
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve(`answered ${res.statusCode}`);
    });
    req.on('error', (err) => resolve(`failed: ${err.message}`));
  });
  req.end(body);
  return { answered: () => answered, vanish: () => req.destroy(), outcome };
}

describe('Auth0 emulator late-landing fault (landAfterMs)', () => {
  const started: Auth0Emulator[] = [];
  const warnings: { obj: object; msg?: string }[] = [];
  const start = async (opts: Auth0EmulatorOptions = {}) => {
    const em = await startAuth0Emulator({
      logger: { info: () => {}, warn: (obj, msg) => warnings.push({ obj, msg }) },
      ...opts,
    });
    started.push(em);
    return em;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((em) => em.stop()));
    warnings.splice(0);
  });

  const createArrived = (em: Auth0Emulator) =>
    waitUntil('the create to reach the emulator', () =>
      em.requests().some((r) => r.method === 'POST' && r.path === '/api/v2/users'),
    );
  const byEmail = async (em: Auth0Emulator, token: string, email: string) =>
    (await call(em, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`, { token }))
      .body as EmulatorUser[];
  const landedWith = (status: number) =>
    warnings.some(
      (w) =>
        w.msg?.startsWith('auth0 emulator: late request landed') &&
        'status' in w.obj &&
        w.obj.status === status,
    );

  it('never answers the caller, and stores the user landAfterMs after arrival though the caller has gone', async () => {
    const em = await start();
    const token = await tokenFor(em);
    const landAfterMs = 3000;
    em.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs });
    const began = Date.now();
    const caller = createThenVanish(em, token, 'late@example.com');
    await createArrived(em);
    await sleep(300); // far longer than an unfaulted create takes to be answered
    expect(caller.answered()).toBe(false);

    caller.vanish();
    expect(await caller.outcome).toMatch(/^failed/);
    expect(await byEmail(em, token, 'late@example.com')).toEqual([]);

    const [landed] = await waitUntil('the user to land', async () => {
      const found = await byEmail(em, token, 'late@example.com');
      return found.length > 0 ? found : undefined;
    });
    expect(Date.now() - began).toBeGreaterThanOrEqual(landAfterMs);
    expect(landed).toMatchObject({
      email: 'late@example.com',
      user_id: expect.stringMatching(/^auth0\|/) as unknown,
    });
    expect(landedWith(201)).toBe(true);
    expect(em.requests().find((r) => r.path === '/api/v2/users')).toMatchObject({ status: 0 });
  });

  it('closes the connection of a caller still waiting at landing, with the user stored', async () => {
    const em = await start();
    const token = await tokenFor(em);
    em.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: 300 });
    const caller = createThenVanish(em, token, 'patient@example.com');
    expect(await caller.outcome).toMatch(/^failed/);
    expect(caller.answered()).toBe(false);
    expect(em.findUserByEmail('patient@example.com')).toBeDefined();
  });

  it('applies to `times` requests only: the next create is answered at once', async () => {
    const em = await start();
    const token = await tokenFor(em);
    em.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: 60_000 });
    createThenVanish(em, token, 'first@example.com');
    await createArrived(em);
    expect(em.faults.pending()).toBe(0);
    const second = await call(em, 'POST', '/api/v2/users', {
      token,
      json: newUser('second@example.com'),
    });
    expect(second.status).toBe(201);
  });

  it('lands as a 409 behind a retry that already created the user, leaving one user', async () => {
    const em = await start();
    const token = await tokenFor(em);
    em.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: 1000 });
    const caller = createThenVanish(em, token, 'retried@example.com');
    await createArrived(em);
    await sleep(100); // the body is in hand
    caller.vanish();
    const retry = await call(em, 'POST', '/api/v2/users', {
      token,
      json: newUser('retried@example.com'),
    });
    expect(retry.status).toBe(201);
    await waitUntil('the late create to land', () => landedWith(409));
    expect((await byEmail(em, token, 'retried@example.com')).map((u) => u.user_id)).toEqual([
      (retry.body as EmulatorUser).user_id,
    ]);
  });

  it('drops a landing still pending at stop(): it never runs, not even into the state file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth0-emulator-landing-'));
    try {
      const stateFile = join(dir, 'state.json');
      const em = await start({ stateFile });
      const token = await tokenFor(em);
      em.faults.add({ method: 'POST', path: '/api/v2/users', landAfterMs: 500 });
      createThenVanish(em, token, 'dropped@example.com');
      await createArrived(em);
      await sleep(100); // the body is in hand
      await em.stop();
      await sleep(1000); // past the landing time
      const restarted = await start({ stateFile });
      expect(restarted.findUserByEmail('dropped@example.com')).toBeUndefined();
      expect(landedWith(201)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is accepted over the control API, and refused combined with an answer', async () => {
    const em = await start({ enableControlApi: true });
    const token = await tokenFor(em);
    const added = await call(em, 'POST', '/__emulator/faults', {
      json: { method: 'POST', path: '/api/v2/users', landAfterMs: 200 },
    });
    expect(added).toMatchObject({ status: 201, body: { pending: 1 } });
    const caller = createThenVanish(em, token, 'controlled@example.com');
    await createArrived(em);
    caller.vanish();
    await waitUntil('the user to land', () => em.findUserByEmail('controlled@example.com'));

    for (const clash of [
      { status: 500 },
      { hang: true },
      { delayMs: 10 },
      { dropAfterHandling: true },
    ]) {
      const refused = await call(em, 'POST', '/__emulator/faults', {
        json: { landAfterMs: 100, ...clash },
      });
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_fault_rule' } });
    }
    expect(() => em.faults.add({ landAfterMs: 100, status: 503 })).toThrow(/cannot be combined/);
    expect(em.faults.pending()).toBe(0);
  });
});
