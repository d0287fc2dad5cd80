import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_PUBLIC_CLIENT_ID,
  PASSWORD_REALM_GRANT,
  startAuth0Emulator,
  type Auth0Emulator,
} from '../../src';

// People's tokens: the password-realm and password grants, the public client, the custom
// claims a post-login Action would add, and CORS for Swagger UI. Real HTTP on 127.0.0.1.

const CONNECTION = 'Username-Password-Authentication';
const OTHER_CONNECTION = 'Staff';
const API = 'urn:example:school-api';
const CLAIM = 'https://tenant-signup/db_name';
const PASSWORD = 'Correct-Horse-9';

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(
  em: Auth0Emulator,
  path: string,
  opts: { json?: object; form?: Record<string, string>; headers?: Record<string, string> },
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${em.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const realmLogin = (email: string, extra: Record<string, string> = {}) => ({
  grant_type: PASSWORD_REALM_GRANT,
  client_id: EMULATOR_PUBLIC_CLIENT_ID,
  realm: CONNECTION,
  username: email,
  password: PASSWORD,
  audience: API,
  ...extra,
});

/** Verifies the signature with the key the JWKS endpoint publishes, as a resource server does. */
async function verifiedClaims(em: Auth0Emulator, token: string): Promise<Record<string, unknown>> {
  const { keys } = (await (await fetch(`${em.url}/.well-known/jwks.json`)).json()) as {
    keys: (JsonWebKey & { kid: string })[];
  };
  const [head = '', payload = '', signature = ''] = token.split('.');
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { kid: string };
  const jwk = keys.find((k) => k.kid === header.kid);
  expect(jwk).toBeDefined();
  const key = createPublicKey({ key: jwk!, format: 'jwk' });
  const valid = verify(
    'sha256',
    Buffer.from(`${head}.${payload}`),
    key,
    Buffer.from(signature, 'base64url'),
  );
  expect(valid).toBe(true);
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('password grants', () => {
  let em: Auth0Emulator;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    em = await startAuth0Emulator({
      connections: [CONNECTION, OTHER_CONNECTION],
      apis: [{ audience: API, scopes: ['read:students', 'sync:users'] }],
      defaultAudience: API,
      defaultDirectory: CONNECTION,
      userClaims: { [CLAIM]: 'db_name' },
    });
    const management = await post(em, '/oauth/token', {
      json: {
        grant_type: 'client_credentials',
        client_id: EMULATOR_CLIENT_ID,
        client_secret: EMULATOR_CLIENT_SECRET,
        audience: em.managementAudience,
      },
    });
    const create = async (name: string, body: object): Promise<void> => {
      const reply = await post(em, '/api/v2/users', {
        json: { password: PASSWORD, connection: CONNECTION, ...body },
        headers: { authorization: `Bearer ${String(management.body.access_token)}` },
      });
      expect(reply.status).toBe(201);
      ids[name] = String(reply.body.user_id);
    };
    await create('head', { email: 'head@school.example', app_metadata: { db_name: 'school_oak' } });
    await create('plain', { email: 'plain@school.example' });
    await create('blocked', {
      email: 'blocked@school.example',
      blocked: true,
      app_metadata: { db_name: 'school_elm' },
    });
    await create('staff', { email: 'staff@school.example', connection: OTHER_CONNECTION });
  });
  afterAll(() => em.stop());

  describe('password-realm', () => {
    it('issues a JWKS-verifiable user token carrying the db_name claim from app_metadata', async () => {
      const reply = await post(em, '/oauth/token', {
        json: realmLogin('Head@School.example', { scope: 'read:students delete:everything' }),
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        access_token: expect.any(String) as unknown,
        token_type: 'Bearer',
        expires_in: 86400,
        scope: 'read:students',
      });
      const claims = await verifiedClaims(em, String(reply.body.access_token));
      expect(claims).toMatchObject({
        iss: `${em.url}/`,
        sub: ids.head,
        aud: API,
        azp: EMULATOR_PUBLIC_CLIENT_ID,
        gty: 'password',
        scope: 'read:students',
        [CLAIM]: 'school_oak',
      });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(86400);
    });

    it('leaves the claim out for a user without db_name in app_metadata', async () => {
      const reply = await post(em, '/oauth/token', { json: realmLogin('plain@school.example') });
      expect(reply.status).toBe(200);
      const claims = await verifiedClaims(em, String(reply.body.access_token));
      expect(claims.sub).toBe(ids.plain);
      expect(claims).not.toHaveProperty([CLAIM]);
      expect(claims.scope).toBe('');
    });

    it('with scope openid, keeps OIDC scopes and adds /userinfo to aud as Auth0 does', async () => {
      const reply = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { scope: 'openid email sync:users' }),
      });
      const claims = await verifiedClaims(em, String(reply.body.access_token));
      expect(claims.scope).toBe('openid email sync:users');
      expect(claims.aud).toEqual([API, `${em.url}/userinfo`]);
    });

    it('answers 403 invalid_grant alike for a wrong password and an unknown user', async () => {
      const wrong = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { password: 'Wrong-Horse-9' }),
      });
      const unknown = await post(em, '/oauth/token', { json: realmLogin('nobody@school.example') });
      // A user of another connection is unknown in this realm.
      const elsewhere = await post(em, '/oauth/token', {
        json: realmLogin('staff@school.example'),
      });
      for (const reply of [wrong, unknown, elsewhere]) {
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({
          error: 'invalid_grant',
          error_description: 'Wrong email or password.',
        });
      }
      const inItsRealm = await post(em, '/oauth/token', {
        json: realmLogin('staff@school.example', { realm: OTHER_CONNECTION }),
      });
      expect(inItsRealm.status).toBe(200);
    });

    it('answers 400 invalid_request for an unknown realm and a missing username or password', async () => {
      const realm = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { realm: 'No-Such-Connection' }),
      });
      expect(realm.status).toBe(400);
      expect(realm.body).toMatchObject({ error: 'invalid_request' });
      const noUser = await post(em, '/oauth/token', { json: realmLogin('') });
      expect(noUser.body).toEqual({
        error: 'invalid_request',
        error_description: 'Missing required parameter: username',
      });
      const noPassword = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { password: '' }),
      });
      expect(noPassword.status).toBe(400);
      expect(noPassword.body.error_description).toBe('Missing required parameter: password');
    });

    it('answers 401 user is blocked for a blocked user with the right password only', async () => {
      const right = await post(em, '/oauth/token', { json: realmLogin('blocked@school.example') });
      expect(right.status).toBe(401);
      expect(right.body).toEqual({ error: 'unauthorized', error_description: 'user is blocked' });
      const wrong = await post(em, '/oauth/token', {
        json: realmLogin('blocked@school.example', { password: 'Wrong-Horse-9' }),
      });
      expect(wrong.status).toBe(403);
    });

    it('answers 403 access_denied for an audience that is not a registered API', async () => {
      const unknown = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { audience: 'urn:not-registered' }),
      });
      expect(unknown.status).toBe(403);
      expect(unknown.body).toEqual({
        error: 'access_denied',
        error_description: 'Service not enabled within domain: urn:not-registered',
      });
      const management = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { audience: em.managementAudience }),
      });
      expect(management.status).toBe(403);
      expect(management.body.error).toBe('access_denied');
    });
  });

  describe('clients', () => {
    it('lets the public client use the password grants but not client_credentials', async () => {
      const cc = await post(em, '/oauth/token', {
        json: {
          grant_type: 'client_credentials',
          client_id: EMULATOR_PUBLIC_CLIENT_ID,
          audience: API,
        },
      });
      expect(cc.status).toBe(403);
      expect(cc.body).toEqual({
        error: 'unauthorized_client',
        error_description: "Grant type 'client_credentials' not allowed for the client.",
      });
    });

    it('still needs the secret from the confidential client, and knows no other client', async () => {
      const withSecret = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', {
          client_id: EMULATOR_CLIENT_ID,
          client_secret: EMULATOR_CLIENT_SECRET,
        }),
      });
      expect(withSecret.status).toBe(200);
      const claims = await verifiedClaims(em, String(withSecret.body.access_token));
      expect(claims.azp).toBe(EMULATOR_CLIENT_ID);
      const noSecret = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { client_id: EMULATOR_CLIENT_ID }),
      });
      const unknown = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { client_id: 'who-knows' }),
      });
      for (const reply of [noSecret, unknown]) {
        expect(reply.status).toBe(401);
        expect(reply.body).toEqual({ error: 'access_denied', error_description: 'Unauthorized' });
      }
    });
  });

  describe('grant_type=password', () => {
    it('uses the default directory and audience for a form body as Swagger UI sends it', async () => {
      // Swagger UI's "basic" client authentication: the public client id and an empty secret.
      const basic = Buffer.from(`${EMULATOR_PUBLIC_CLIENT_ID}:`).toString('base64');
      const reply = await post(em, '/oauth/token', {
        form: {
          grant_type: 'password',
          username: 'head@school.example',
          password: PASSWORD,
          scope: 'read:students',
        },
        headers: { authorization: `Basic ${basic}`, 'x-requested-with': 'XMLHttpRequest' },
      });
      expect(reply.status).toBe(200);
      const claims = await verifiedClaims(em, String(reply.body.access_token));
      expect(claims).toMatchObject({
        sub: ids.head,
        aud: API,
        scope: 'read:students',
        [CLAIM]: 'school_oak',
      });
    });

    it('takes a form-encoded password-realm request with the client id in the body', async () => {
      const reply = await post(em, '/oauth/token', { form: realmLogin('plain@school.example') });
      expect(reply.status).toBe(200);
    });

    it('answers like Auth0 when the tenant has no default directory or audience', async () => {
      const bare = await startAuth0Emulator({ apis: [{ audience: API, scopes: [] }] });
      try {
        const noDirectory = await post(bare, '/oauth/token', {
          json: {
            grant_type: 'password',
            client_id: EMULATOR_PUBLIC_CLIENT_ID,
            username: 'a@b.example',
            password: PASSWORD,
          },
        });
        expect(noDirectory.status).toBe(500);
        expect(noDirectory.body).toEqual({
          error: 'server_error',
          error_description: 'Authorization server not configured with default connection.',
        });
        const noAudience = await post(bare, '/oauth/token', {
          json: { ...realmLogin('a@b.example'), audience: undefined },
        });
        expect(noAudience.status).toBe(403);
        expect(noAudience.body.error).toBe('access_denied');
      } finally {
        await bare.stop();
      }
    });
  });

  describe('CORS for Swagger UI', () => {
    const preflight = (origin: string, path = '/oauth/token') =>
      fetch(`${em.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-requested-with',
        },
      });

    it('answers a preflight from a local page and allows its token request', async () => {
      const pre = await preflight('http://localhost:3000');
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
      expect(pre.headers.get('access-control-allow-headers')).toBe(
        'authorization,content-type,x-requested-with',
      );
      const reply = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example'),
        headers: { origin: 'http://localhost:3000' },
      });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(reply.headers.get('vary')).toMatch(/origin/i);
      const failed = await post(em, '/oauth/token', {
        json: realmLogin('head@school.example', { password: 'Wrong-Horse-9' }),
        headers: { origin: 'http://127.0.0.1:3000' },
      });
      // Swagger UI shows Auth0's error only if it may read the answer.
      expect(failed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
      const jwks = await fetch(`${em.url}/.well-known/jwks.json`, {
        headers: { origin: 'http://localhost:3000' },
      });
      expect(jwks.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    });

    it('does not allow other origins unless listed, and never the Management API', async () => {
      const pre = await preflight('https://evil.example');
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-headers')).toBeNull();
      const listed = await startAuth0Emulator({ corsOrigins: ['https://dev.example:8443'] });
      try {
        const ok = await fetch(`${listed.url}/oauth/token`, {
          method: 'OPTIONS',
          headers: { origin: 'https://dev.example:8443', 'access-control-request-method': 'POST' },
        });
        expect(ok.headers.get('access-control-allow-origin')).toBe('https://dev.example:8443');
        const users = await fetch(`${listed.url}/api/v2/users`, {
          headers: { origin: 'https://dev.example:8443' },
        });
        expect(users.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await listed.stop();
      }
    });
  });
});

describe('login options', () => {
  it('refuses a default audience or directory the tenant does not have, and reserved claims', async () => {
    await expect(startAuth0Emulator({ defaultAudience: API })).rejects.toThrow(/defaultAudience/);
    await expect(startAuth0Emulator({ defaultDirectory: 'Nope' })).rejects.toThrow(
      /defaultDirectory/,
    );
    await expect(startAuth0Emulator({ userClaims: { sub: 'db_name' } })).rejects.toThrow(/sub/);
  });
});
