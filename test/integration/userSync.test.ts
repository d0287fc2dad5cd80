import request from 'supertest';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '@tenant-signup/auth0-emulator';
import { signupBody } from '../helpers/signupData';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

/**
 * POST /users/sync, protected by RS256 access tokens for this API that the Auth0 emulator
 * issues (the same loop the post-login Action runs against real Auth0).
 */

jest.setTimeout(60_000);

const API = 'urn:tenant-signup:test-api';
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    env: { API_AUDIENCE: API },
    emulator: {
      apis: [{ audience: API, scopes: ['sync:users', 'read:things'] }],
      clients: [
        {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          scopes: ['create:users', 'read:users', 'delete:users'],
          apiGrants: { [API]: ['sync:users'] },
        },
        {
          clientId: 'no-scope',
          clientSecret: 'no-scope-secret',
          scopes: [],
          apiGrants: { [API]: ['read:things'] },
        },
        {
          clientId: 'expired',
          clientSecret: 'expired-secret',
          scopes: [],
          apiGrants: { [API]: ['sync:users'] },
          tokenLifetimeSeconds: -3600,
        },
      ],
    },
  });
});
afterAll(async () => {
  await svc.close();
});

async function token(clientId: string, secret: string, audience = API): Promise<string> {
  const res = await request(svc.emulator.url)
    .post('/oauth/token')
    .send({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      audience,
    })
    .expect(200);
  return res.body.access_token as string;
}

const sync = (body: object, bearer?: string) => {
  const req = request(svc.app).post('/users/sync');
  if (bearer) req.set('authorization', `Bearer ${bearer}`);
  return req.send(body);
};

const socialUser = () => {
  const id = uniqueSuffix();
  return {
    user_id: `google-oauth2|${id}`,
    email: `g.${id}@gmail.com`,
    connection: 'google-oauth2',
    strategy: 'google-oauth2',
  };
};

describe('authentication', () => {
  test('without a token: 401 unauthorized in our error shape, with a Bearer challenge', async () => {
    const res = await sync(socialUser());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  test('a forged or garbage token: 401', async () => {
    const good = await token(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET);
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
    for (const bad of [forged, 'garbage']) {
      const res = await sync(socialUser(), bad);
      expect([res.status, res.body.error.code]).toEqual([401, 'unauthorized']);
    }
  });

  test('an expired token: 401', async () => {
    const res = await sync(socialUser(), await token('expired', 'expired-secret'));
    expect([res.status, res.body.error.code]).toEqual([401, 'unauthorized']);
    expect(res.body.error.message).toMatch(/exp/i);
  });

  test('a token for another audience (the Management API): 401', async () => {
    const management = await token(
      EMULATOR_CLIENT_ID,
      EMULATOR_CLIENT_SECRET,
      svc.auth0Settings.audience,
    );
    const res = await sync(socialUser(), management);
    expect([res.status, res.body.error.code]).toEqual([401, 'unauthorized']);
    expect(res.body.error.message).toMatch(/aud/i);
  });

  test('a valid token without the sync:users scope: 403 insufficient_scope', async () => {
    const res = await sync(socialUser(), await token('no-scope', 'no-scope-secret'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'insufficient_scope', message: expect.any(String) },
    });
  });

  test('the emulator refuses a token for the API to a client without a grant for it', async () => {
    const res = await request(svc.emulator.url).post('/oauth/token').send({
      grant_type: 'client_credentials',
      client_id: 'no-scope',
      client_secret: 'no-scope-secret',
      audience: API,
      scope: 'sync:users',
    });
    expect(res.status).toBe(403);
  });
});

describe('the upsert', () => {
  test('a social user is recorded without a school; a second identical call changes nothing', async () => {
    const bearer = await token(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET);
    const user = socialUser();
    const first = await sync(user, bearer);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      outcome: 'created',
      user: { userId: user.user_id, email: user.email, connection: 'google-oauth2', school: null },
    });
    const before = await svc.catalogDb('catalog.users').where({ user_id: user.user_id }).first();
    const xminBefore = (
      await svc.catalogDb.raw('SELECT xmin::text FROM catalog.users WHERE user_id = ?', [
        user.user_id,
      ])
    ).rows[0].xmin;

    const second = await sync(user, bearer);
    expect(second.status).toBe(200);
    expect(second.body.outcome).toBe('unchanged');
    const after = await svc.catalogDb('catalog.users').where({ user_id: user.user_id }).first();
    expect(after).toEqual(before);
    const xminAfter = (
      await svc.catalogDb.raw('SELECT xmin::text FROM catalog.users WHERE user_id = ?', [
        user.user_id,
      ])
    ).rows[0].xmin;
    expect(xminAfter).toBe(xminBefore); // not even a new row version

    const changed = await sync({ ...user, email: `new.${user.email}` }, bearer);
    expect([changed.status, changed.body.outcome]).toEqual([200, 'updated']);
    expect(await svc.catalogDb('catalog.users').where({ user_id: user.user_id })).toHaveLength(1);
  });

  test('a user from signup keeps its school when the Action reports its first login', async () => {
    const s = signupBody('Sync School');
    const signup = await request(svc.app).post('/users').send(s.request).expect(201);
    const bearer = await token(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET);
    const res = await sync(
      {
        user_id: signup.body.userId,
        email: s.email,
        connection: 'Username-Password-Authentication',
        strategy: 'auth0',
      },
      bearer,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'unchanged',
      user: { school: { name: s.schoolName, dbName: s.dbName } },
    });
  });

  test('an invalid body: 400 invalid_request with field details', async () => {
    const bearer = await token(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET);
    const res = await sync({ user_id: '', email: 'nope', admin: true }, bearer);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(Object.keys(res.body.error.details)).toEqual(
      expect.arrayContaining(['admin', 'email', 'user_id']),
    );
  });
});
