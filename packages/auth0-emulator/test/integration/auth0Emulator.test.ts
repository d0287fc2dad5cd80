import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementClient, ManagementApiError } from 'auth0';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
  type Auth0EmulatorOptions,
} from '../../src';

// Every test talks to a real emulator over HTTP on 127.0.0.1: no mocks anywhere.

const CONNECTION = 'Username-Password-Authentication';
const READER = { clientId: 'reader-client', clientSecret: 'reader-secret', scopes: ['read:users'] };
const STRONG_PASSWORD = 'Correct-Horse-9';

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  em: Auth0Emulator,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown; raw?: string; form?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined || opts.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.raw ?? JSON.stringify(opts.json);
  }
  const res = await fetch(`${em.url}${path}`, { method, headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

function tokenRequest(
  em: Auth0Emulator,
  client = { clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET },
) {
  return {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    audience: em.managementAudience,
  };
}

async function tokenFor(
  em: Auth0Emulator,
  client?: { clientId: string; clientSecret: string },
): Promise<string> {
  const reply = await call(em, 'POST', '/oauth/token', { json: tokenRequest(em, client) });
  expect(reply.status).toBe(200);
  return (reply.body as { access_token: string }).access_token;
}

function newUser(email: string, extra: Record<string, unknown> = {}) {
  return { email, password: STRONG_PASSWORD, connection: CONNECTION, ...extra };
}

// Jest's asymmetric matchers are typed `any`; pinning them to unknown keeps the lint rules honest.
const anyString: unknown = expect.any(String);
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

const decodePart = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('Auth0 emulator over HTTP', () => {
  let em: Auth0Emulator;
  let token: string;

  beforeAll(async () => {
    em = await startAuth0Emulator({
      clients: [
        {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          scopes: ['create:users', 'read:users', 'delete:users'],
        },
        READER,
      ],
    });
    token = await tokenFor(em);
  });
  afterAll(() => em.stop());
  afterEach(() => em.faults.clear());

  describe('POST /oauth/token', () => {
    it('issues a verifiable RS256 management token for a JSON body', async () => {
      const reply = await call(em, 'POST', '/oauth/token', { json: tokenRequest(em) });
      expect(reply.status).toBe(200);
      const body = reply.body as Record<string, unknown>;
      expect(body).toEqual({
        access_token: anyString,
        token_type: 'Bearer',
        expires_in: 86400,
        scope: 'create:users read:users delete:users',
      });
      const [head = '', payload = '', signature = ''] = String(body.access_token).split('.');
      const header = decodePart(head);
      const claims = decodePart(payload);
      expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: anyString });
      expect(claims).toMatchObject({
        iss: `${em.url}/`,
        sub: `${EMULATOR_CLIENT_ID}@clients`,
        aud: em.managementAudience,
        azp: EMULATOR_CLIENT_ID,
        gty: 'client-credentials',
        scope: 'create:users read:users delete:users',
      });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(86400);
      const jwks = (await call(em, 'GET', '/.well-known/jwks.json')).body as {
        keys: (JsonWebKey & { kid: string })[];
      };
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      expect(jwk).toBeDefined();
      const publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      const valid = verify(
        'sha256',
        Buffer.from(`${head}.${payload}`),
        publicKey,
        Buffer.from(signature, 'base64url'),
      );
      expect(valid).toBe(true);
    });

    it('issues a token for a form-encoded body', async () => {
      const reply = await call(em, 'POST', '/oauth/token', { form: tokenRequest(em) });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
    });

    it('rejects a wrong client secret with 401 access_denied', async () => {
      const reply = await call(em, 'POST', '/oauth/token', {
        json: { ...tokenRequest(em), client_secret: 'wrong' },
      });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: 'access_denied', error_description: 'Unauthorized' });
    });

    it('rejects an unknown audience with 403 Service not enabled', async () => {
      const audience = 'https://example.invalid/api/';
      const reply = await call(em, 'POST', '/oauth/token', {
        json: { ...tokenRequest(em), audience },
      });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({
        error: 'access_denied',
        error_description: `Service not enabled within domain: ${audience}`,
      });
    });

    it('rejects an unsupported grant and a missing grant_type', async () => {
      const refresh = await call(em, 'POST', '/oauth/token', {
        json: { ...tokenRequest(em), grant_type: 'refresh_token' },
      });
      expect(refresh.status).toBe(403);
      expect(refresh.body).toMatchObject({ error: 'unsupported_grant_type' });
      const missing = await call(em, 'POST', '/oauth/token', {
        json: { client_id: EMULATOR_CLIENT_ID },
      });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({
        error: 'invalid_request',
        error_description: 'Missing required parameter: grant_type',
      });
    });

    it('publishes discovery metadata pointing at itself', async () => {
      const reply = await call(em, 'GET', '/.well-known/openid-configuration');
      expect(reply.body).toMatchObject({
        issuer: `${em.url}/`,
        jwks_uri: `${em.url}/.well-known/jwks.json`,
        token_endpoint: `${em.url}/oauth/token`,
      });
    });
  });

  describe('Management API users', () => {
    it('creates a user and answers 201 with an Auth0-shaped body', async () => {
      const reply = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('New.Person@Example.com', {
          app_metadata: { tenant: 't1' },
          given_name: 'New',
        }),
      });
      expect(reply.status).toBe(201);
      const user = reply.body as Record<string, unknown>;
      expect(user).toEqual({
        user_id: matching(/^auth0\|[0-9a-f]{24}$/),
        email: 'new.person@example.com',
        email_verified: false,
        name: 'new.person@example.com',
        nickname: 'new.person',
        picture: matching(/^https:\/\/s\.gravatar\.com\/avatar\//),
        given_name: 'New',
        app_metadata: { tenant: 't1' },
        identities: [
          {
            connection: CONNECTION,
            user_id: String(user.user_id).slice(6),
            provider: 'auth0',
            isSocial: false,
          },
        ],
        created_at: anyString,
        updated_at: anyString,
      });
      expect(JSON.stringify(em.users())).not.toContain(STRONG_PASSWORD);
    });

    it('answers 409 The user already exists for the same e-mail in any letter case', async () => {
      await call(em, 'POST', '/api/v2/users', { token, json: newUser('dup@example.com') });
      const reply = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('DUP@example.com'),
      });
      expect(reply.status).toBe(409);
      expect(reply.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'The user already exists.',
        errorCode: 'auth0_idp_error',
      });
    });

    it('rejects a password weaker than the "good" policy with PasswordStrengthError', async () => {
      // 8+ characters but only two classes (lower case and digits).
      const reply = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('weak@example.com', { password: 'password123' }),
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'PasswordStrengthError: Password is too weak',
      });
      expect(em.findUserByEmail('weak@example.com')).toBeUndefined();
    });

    it('rejects an unknown body property with 400 invalid_body', async () => {
      const reply = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('extra@example.com', { role: 'admin' }),
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Additional properties not allowed: role'.",
        errorCode: 'invalid_body',
      });
    });

    it('rejects a malformed e-mail with Auth0 format message', async () => {
      const reply = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('not-an-email'),
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({
        message:
          "Payload validation error: 'Object didn't pass validation for format email: not-an-email' on property email (The user's email).",
        errorCode: 'invalid_body',
      });
    });

    it('rejects an unknown connection and unparseable JSON with 400', async () => {
      const conn = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('c@example.com', { connection: 'nope' }),
      });
      expect(conn.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'The connection does not exist.',
        errorCode: 'inexistent_connection',
      });
      const bad = await call(em, 'POST', '/api/v2/users', { token, raw: '{"email":' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it('answers 401 Missing authentication without a token, and Invalid token for a forged one', async () => {
      const missing = await call(em, 'GET', '/api/v2/users/auth0|x');
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Missing authentication',
      });
      const [head, payload] = token.split('.');
      const forged = await call(em, 'GET', '/api/v2/users/auth0|x', {
        token: `${head}.${payload}.AAAA`,
      });
      expect(forged.status).toBe(401);
      expect(forged.body).toMatchObject({
        message: 'Invalid token',
        attributes: { error: 'Invalid token' },
      });
    });

    it('answers 403 insufficient_scope when the token lacks the needed scope', async () => {
      const readerToken = await tokenFor(em, READER);
      const reply = await call(em, 'POST', '/api/v2/users', {
        token: readerToken,
        json: newUser('scope@example.com'),
      });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope, expected any of: create:users',
        errorCode: 'insufficient_scope',
      });
    });

    it('finds users by e-mail case-insensitively, gets and deletes them by id', async () => {
      const created = await call(em, 'POST', '/api/v2/users', {
        token,
        json: newUser('lookup@example.com'),
      });
      const id = (created.body as { user_id: string }).user_id;
      const found = await call(
        em,
        'GET',
        `/api/v2/users-by-email?email=${encodeURIComponent('LookUp@Example.com')}`,
        { token },
      );
      expect(found.status).toBe(200);
      expect(found.body).toEqual([
        expect.objectContaining({ user_id: id, email: 'lookup@example.com' }),
      ]);
      const path = `/api/v2/users/${encodeURIComponent(id)}`;
      expect((await call(em, 'GET', path, { token })).body).toMatchObject({ user_id: id });
      expect((await call(em, 'DELETE', path, { token })).status).toBe(204);
      const gone = await call(em, 'GET', path, { token });
      expect(gone.status).toBe(404);
      expect(gone.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'The user does not exist.',
        errorCode: 'inexistent_user',
      });
      expect((await call(em, 'DELETE', path, { token })).status).toBe(204); // idempotent, like Auth0
    });

    it('answers unknown routes with a 404 JSON body carrying rate-limit headers', async () => {
      const reply = await call(em, 'GET', '/api/v2/clients', { token });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
      expect(reply.headers.get('x-ratelimit-limit')).toBe('50');
    });
  });

  describe('official auth0@4 SDK', () => {
    it('creates, finds by e-mail and deletes a user through ManagementClient', async () => {
      // The SDK always builds https://{domain} URLs. Its documented `fetch` option swaps in our
      // own fetch, which only downgrades the scheme to http; every request is still real HTTP
      // to the emulator, with the SDK's own token acquisition, headers and error parsing.
      const management = new ManagementClient({
        domain: new URL(em.url).host,
        clientId: EMULATOR_CLIENT_ID,
        clientSecret: EMULATOR_CLIENT_SECRET,
        fetch: (input, init) =>
          fetch(
            String(input instanceof Request ? input.url : input).replace(/^https:/, 'http:'),
            init,
          ),
      });
      const { data: created } = await management.users.create(newUser('sdk@example.com'));
      expect(created.user_id).toMatch(/^auth0\|/);
      const { data: found } = await management.usersByEmail.getByEmail({
        email: 'SDK@example.com',
      });
      expect(found.map((u) => u.user_id)).toEqual([created.user_id]);
      const duplicate = await management.users
        .create(newUser('sdk@example.com'))
        .catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(ManagementApiError);
      expect(duplicate).toMatchObject({
        statusCode: 409,
        errorCode: 'auth0_idp_error',
        message: 'The user already exists.',
      });
      await management.users.delete({ id: created.user_id });
      expect(em.findUserByEmail('sdk@example.com')).toBeUndefined();
    });
  });
});

describe('Auth0 emulator limits, persistence and faults', () => {
  const started: Auth0Emulator[] = [];
  const start = async (opts: Auth0EmulatorOptions = {}) => {
    const em = await startAuth0Emulator(opts);
    started.push(em);
    return em;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((em) => em.stop()));
  });

  it('reports x-ratelimit headers and answers 429 once the tenant limit is exhausted', async () => {
    const em = await start({ rateLimit: { limit: 3, windowSeconds: 60 } });
    const token = await tokenFor(em);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i += 1) {
      const ok = await call(em, 'GET', '/api/v2/users-by-email?email=a@example.com', { token });
      expect(ok.status).toBe(200);
      remaining.push(ok.headers.get('x-ratelimit-remaining'));
      expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(
        Math.floor(Date.now() / 1000),
      );
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await call(em, 'GET', '/api/v2/users-by-email?email=a@example.com', { token });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Global limit has been reached',
      errorCode: 'too_many_requests',
    });
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('shares one Management API bucket between every client of the tenant, as Auth0 does', async () => {
    const em = await start({
      rateLimit: { limit: 2, windowSeconds: 60 },
      clients: [
        {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          scopes: ['read:users'],
        },
        READER,
      ],
    });
    const mine = await tokenFor(em);
    const theirs = await tokenFor(em, READER);
    const path = '/api/v2/users-by-email?email=a@example.com';

    const first = await call(em, 'GET', path, { token: mine });
    const second = await call(em, 'GET', path, { token: theirs });
    const third = await call(em, 'GET', path, { token: mine });

    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(third.headers.get('retry-after')).not.toBeNull();
  });

  it('answers 401 Expired token once a token outlives its lifetime', async () => {
    const em = await start({ tokenLifetimeSeconds: 0 });
    const reply = await call(em, 'GET', '/api/v2/users/x', { token: await tokenFor(em) });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({
      message: 'Expired token received for JSON Web Token validation',
    });
  });

  it('keeps users across a stop and restart when a state file is configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth0-emulator-'));
    try {
      const stateFile = join(dir, 'nested', 'state.json');
      const first = await start({ stateFile });
      await call(first, 'POST', '/api/v2/users', {
        token: await tokenFor(first),
        json: newUser('persist@example.com'),
      });
      await first.stop();
      const second = await start({ stateFile });
      const id = second.findUserByEmail('persist@example.com')?.user_id;
      expect(id).toMatch(/^auth0\|/);
      const reply = await call(second, 'GET', `/api/v2/users/${encodeURIComponent(String(id))}`, {
        token: await tokenFor(second),
      });
      expect(reply.status).toBe(200);
      const saved = await readFile(stateFile, 'utf8');
      expect(saved).not.toContain(STRONG_PASSWORD);
      expect(await readdir(join(dir, 'nested'))).toEqual(['state.json']); // no stray temp files
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers an injected status once, then handles the next request normally', async () => {
    const em = await start();
    const token = await tokenFor(em);
    em.faults.add({
      method: 'POST',
      path: '/api/v2/*',
      status: 503,
      headers: { 'retry-after': '2' },
    });
    const failed = await call(em, 'POST', '/api/v2/users', {
      token,
      json: newUser('fault@example.com'),
    });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(em.findUserByEmail('fault@example.com')).toBeUndefined();
    expect(em.faults.pending()).toBe(0);
    const ok = await call(em, 'POST', '/api/v2/users', {
      token,
      json: newUser('fault@example.com'),
    });
    expect(ok.status).toBe(201);
  });

  it('stores the user but closes the socket without a response for dropAfterHandling', async () => {
    const em = await start();
    const token = await tokenFor(em);
    em.faults.add({ path: '/api/v2/users', dropAfterHandling: true });
    await expect(
      call(em, 'POST', '/api/v2/users', { token, json: newUser('dropped@example.com') }),
    ).rejects.toThrow();
    expect(em.findUserByEmail('dropped@example.com')).toBeDefined();
    expect(em.requests().at(-1)).toMatchObject({
      method: 'POST',
      path: '/api/v2/users',
      status: 0,
    });
  });

  it('delays a request by delayMs before handling it', async () => {
    const em = await start();
    em.faults.add({ path: '/.well-known/jwks.json', delayMs: 150 });
    const began = Date.now();
    expect((await call(em, 'GET', '/.well-known/jwks.json')).status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(140);
  });

  it('never answers a hung request, and stop() still closes promptly', async () => {
    const em = await start();
    em.faults.add({ path: '/oauth/token', hang: true });
    const pending = call(em, 'POST', '/oauth/token', { json: tokenRequest(em) });
    while (em.tokenRequestCount() === 0) await new Promise((r) => setTimeout(r, 10));
    const began = Date.now();
    await em.stop();
    expect(Date.now() - began).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  it('exposes the control API only when enabled', async () => {
    const off = await start();
    expect((await call(off, 'GET', '/__emulator/stats')).status).toBe(404);
    const on = await start({ enableControlApi: true });
    const added = await call(on, 'POST', '/__emulator/faults', {
      json: { path: '/oauth/token', status: 500 },
    });
    expect(added).toMatchObject({ status: 201, body: { pending: 1 } });
    expect((await call(on, 'POST', '/oauth/token', { json: tokenRequest(on) })).status).toBe(500);
    const stats = await call(on, 'GET', '/__emulator/stats');
    expect(stats.body).toEqual({
      tokenRequests: 1,
      requests: [expect.objectContaining({ path: '/oauth/token', status: 500 })],
    });
    expect((await call(on, 'DELETE', '/__emulator/faults')).status).toBe(204);
  });
});
