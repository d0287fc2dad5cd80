import { generateKeyPairSync, sign } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_PUBLIC_CLIENT_ID,
} from '@tenant-signup/auth0-emulator';
import { runTenantsCli } from '../helpers/cliProcess';
import { pointer, schemaValidator } from '../helpers/openApi';
import { userToken as userTokenFrom } from '../helpers/schoolLogin';
import { signupBody, TEST_PASSWORD, type SignupData } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

/**
 * The school's own API (/api): a user's access token names the school (the tenant claim), and
 * every request runs on that school's database. Two real schools, real tokens from the Auth0
 * emulator's password-realm grant, as a school's app would get them.
 */

jest.setTimeout(120_000);

const API = 'urn:tenant-signup:api';
const CLAIM = 'https://tenant-signup/db_name';
const REALM = 'Username-Password-Authentication';
let svc: TestService;
let a: SignupData;
let b: SignupData;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  svc = await startTestService({
    env: { API_DOCS_CLIENT_ID: EMULATOR_PUBLIC_CLIENT_ID },
    emulator: {
      apis: [{ audience: API, scopes: ['sync:users'] }],
      userClaims: { [CLAIM]: 'db_name' },
      defaultAudience: API,
      defaultDirectory: REALM,
      clients: [
        {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          scopes: ['create:users', 'read:users', 'delete:users'],
          apiGrants: { [API]: ['sync:users'] },
        },
        { clientId: EMULATOR_PUBLIC_CLIENT_ID, scopes: [] },
        {
          clientId: 'expired',
          clientSecret: 'expired-secret',
          scopes: [],
          apiGrants: { [API]: [] },
          tokenLifetimeSeconds: -3600,
        },
      ],
    },
  });
  a = signupBody('Api School A');
  b = signupBody('Api School B');
  for (const s of [a, b]) await request(svc.app).post('/users').send(s.request).expect(201);
  tokenA = await userToken(a.email);
  tokenB = await userToken(b.email);
});
afterAll(async () => {
  await svc.close();
});

const userToken = (username: string, client?: { clientId?: string; secret?: string }) =>
  userTokenFrom(svc.emulator.url, username, client);

async function managementToken(): Promise<string> {
  const res = await request(svc.emulator.url)
    .post('/oauth/token')
    .send({
      grant_type: 'client_credentials',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      audience: svc.emulator.managementAudience,
    })
    .expect(200);
  return res.body.access_token as string;
}

const api = (token: string | undefined) => ({
  get: (path: string) => auth(request(svc.app).get(path), token),
  post: (path: string, body: object) => auth(request(svc.app).post(path).send(body), token),
  patch: (path: string, body: object) => auth(request(svc.app).patch(path).send(body), token),
  delete: (path: string) => auth(request(svc.app).delete(path), token),
});
/** The `items` of a list answer. */
const itemsOf = <T>(res: request.Response) => (res.body as { items: T[] }).items;

const auth = (req: request.Test, token: string | undefined) =>
  token ? req.set('authorization', `Bearer ${token}`) : req;

async function queryTenant(dbName: string, sql: string): Promise<Record<string, unknown>[]> {
  const url = new URL(svc.serverUrl);
  url.pathname = `/${dbName}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

test("each school's token reads and writes its own students only", async () => {
  const ada = await api(tokenA)
    .post('/api/students', { firstName: 'Ada', lastName: 'Lovelace', grade: '5' })
    .expect(201);
  const bob = await api(tokenB)
    .post('/api/students', { firstName: 'Bob', lastName: 'Builder' })
    .expect(201);
  expect(ada.body).toMatchObject({
    firstName: 'Ada',
    lastName: 'Lovelace',
    grade: '5',
    active: true,
  });
  expect(ada.headers.location).toBe(`/api/students/${ada.body.id}`);

  const listA = await api(tokenA).get('/api/students').expect(200);
  const listB = await api(tokenB).get('/api/students').expect(200);
  expect(itemsOf<{ firstName: string }>(listA).map((s) => s.firstName)).toEqual(['Ada']);
  expect(itemsOf<{ firstName: string }>(listB).map((s) => s.firstName)).toEqual(['Bob']);
  // The rows are where the tokens say: in each school's own database.
  expect(
    (await queryTenant(a.dbName, 'SELECT first_name FROM students')).map((r) => r.first_name),
  ).toEqual(['Ada']);
  expect(
    (await queryTenant(b.dbName, 'SELECT first_name FROM students')).map((r) => r.first_name),
  ).toEqual(['Bob']);

  // School A addressing school B's student: nothing there, nothing changed.
  const bobPath = `/api/students/${bob.body.id}`;
  await api(tokenA).get(bobPath).expect(404);
  await api(tokenA).patch(bobPath, { firstName: 'Mallory' }).expect(404);
  await api(tokenA).delete(bobPath).expect(404);
  expect((await api(tokenB).get(bobPath).expect(200)).body.firstName).toBe('Bob');

  // Its own student: change, then remove.
  const adaPath = `/api/students/${ada.body.id}`;
  const changed = await api(tokenA).patch(adaPath, { grade: null, active: false }).expect(200);
  expect(changed.body).toMatchObject({ firstName: 'Ada', grade: null, active: false });
  await api(tokenA).delete(adaPath).expect(204);
  await api(tokenA).get(adaPath).expect(404);
});

test('lists are paged with an opaque cursor', async () => {
  for (let i = 0; i < 5; i++)
    await api(tokenB)
      .post('/api/menu-items', { name: `Dish ${i}`, priceCents: 300 + i })
      .expect(201);
  const seen: string[] = [];
  let after: string | null = null;
  do {
    const q: string = after ? `?limit=2&after=${after}` : '?limit=2';
    const res = await api(tokenB).get(`/api/menu-items${q}`).expect(200);
    expect(res.body.items.length).toBeLessThanOrEqual(2);
    seen.push(...itemsOf<{ name: string }>(res).map((m) => m.name));
    after = res.body.next;
  } while (after);
  expect(seen).toEqual(['Dish 0', 'Dish 1', 'Dish 2', 'Dish 3', 'Dish 4']);
  await api(tokenB).get('/api/menu-items?limit=0').expect(400);
  await api(tokenB).get("/api/menu-items?after=1'%20OR%201=1").expect(400);
});

test('a lunch week with its menu, and orders for it', async () => {
  const soup = (
    await api(tokenA)
      .post('/api/menu-items', {
        name: 'Soup',
        priceCents: 250,
        vegetarian: true,
        allergens: ['celery'],
      })
      .expect(201)
  ).body;
  const pasta = (
    await api(tokenA).post('/api/menu-items', { name: 'Pasta', priceCents: 400 }).expect(201)
  ).body;
  const kid = (
    await api(tokenA).post('/api/students', { firstName: 'Kim', lastName: 'Lee' }).expect(201)
  ).body;

  await api(tokenA).post('/api/lunch-weeks', { startsOn: '2027-01-05', items: [] }).expect(400); // a Tuesday
  const week = await api(tokenA)
    .post('/api/lunch-weeks', {
      startsOn: '2027-01-04',
      published: true,
      items: [
        { menuItemId: soup.id, weekday: 1 },
        { menuItemId: pasta.id, weekday: 1 },
        { menuItemId: pasta.id, weekday: 2 },
      ],
    })
    .expect(201);
  expect(week.body.items).toHaveLength(3);
  await api(tokenA).post('/api/lunch-weeks', { startsOn: '2027-01-04', items: [] }).expect(409);
  // Another school's dish is not on this school's menu.
  const foreign = (
    await api(tokenB).post('/api/menu-items', { name: 'Foreign', priceCents: 1 }).expect(201)
  ).body;
  await api(tokenA)
    .post('/api/lunch-weeks', {
      startsOn: '2027-01-11',
      items: [{ menuItemId: foreign.id, weekday: 1 }],
    })
    .expect(404);

  const weeks = await api(tokenA).get('/api/lunch-weeks').expect(200);
  expect(weeks.body.items[0]).toMatchObject({ startsOn: '2027-01-04', published: true });
  expect(
    itemsOf<{ items: { name: string; weekday: number }[] }>(weeks)[0]!.items.map(
      (i) => `${i.weekday}:${i.name}`,
    ),
  ).toEqual(['1:Pasta', '1:Soup', '2:Pasta']);

  const order = { studentId: kid.id, week: '2027-01-04', weekday: 1, menuItemId: soup.id };
  const created = await api(tokenA).post('/api/orders', order).expect(201);
  expect(created.body).toMatchObject({ ...order, quantity: 1 });
  await api(tokenA).post('/api/orders', order).expect(409);
  await api(tokenA)
    .post('/api/orders', { ...order, weekday: 2 })
    .expect(400); // soup not on Tuesday
  await api(tokenB).post('/api/orders', order).expect(404); // school B has no such student or week
  const orders = await api(tokenA).get('/api/orders?week=2027-01-04').expect(200);
  expect(orders.body.items).toEqual([created.body]);
  await api(tokenA).get('/api/orders?week=2027-02-01').expect(404);
  await api(tokenA).get('/api/orders').expect(400);
});

test('bad input gets 400 with field details, 415 for non-JSON, and changes nothing', async () => {
  const before = await queryTenant(b.dbName, 'SELECT count(*)::int AS n FROM students');
  const bad = await api(tokenB)
    .post('/api/students', { firstName: '', lastName: 'X', extra: 1 })
    .expect(400);
  expect(bad.body.error.code).toBe('invalid_request');
  expect(Object.keys(bad.body.error.details)).toEqual(
    expect.arrayContaining(['firstName', 'extra']),
  );
  await auth(
    request(svc.app).post('/api/students').set('content-type', 'text/plain').send('x'),
    tokenB,
  ).expect(415);
  await api(tokenB).patch('/api/students/not-a-uuid', { firstName: 'X' }).expect(404);
  await api(tokenB).get("/api/students/1' OR '1'='1").expect(404);
  // Request text is data, never SQL.
  const bobby = "Robert'); DROP TABLE students;--";
  const res = await api(tokenB)
    .post('/api/students', { firstName: bobby, lastName: '"; SELECT pg_sleep(5)' })
    .expect(201);
  expect(res.body.firstName).toBe(bobby);
  const after = await queryTenant(b.dbName, 'SELECT count(*)::int AS n FROM students');
  expect(after[0]!.n).toBe((before[0]!.n as number) + 1);
});

test('tokens without a school, with a forged or foreign one, expired or for another API are refused', async () => {
  await api(undefined).get('/api/students').expect(401);
  // The service's own client-credentials token for this API carries no school.
  const m2m = await request(svc.emulator.url)
    .post('/oauth/token')
    .send({
      grant_type: 'client_credentials',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      audience: API,
    })
    .expect(200);
  const noClaim = await api(m2m.body.access_token).get('/api/students').expect(403);
  expect(noClaim.body.error.code).toBe('tenant_unknown');

  // A user whose app_metadata names a school that does not exist here.
  const email = `stranger.${Date.now()}@school.test`;
  await request(svc.emulator.url)
    .post('/api/v2/users')
    .set('authorization', `Bearer ${await managementToken()}`)
    .send({
      email,
      password: TEST_PASSWORD,
      connection: REALM,
      app_metadata: { db_name: 'no_such_school' },
    })
    .expect(201);
  const unknown = await api(await userToken(email))
    .get('/api/students')
    .expect(403);
  expect(unknown.body.error.code).toBe('tenant_unknown');

  // Forged: school A's token with its claim changed to school B, signature kept.
  const [head, body, signature] = tokenA.split('.');
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
  expect(payload[CLAIM]).toBe(a.dbName);
  const forgedBody = Buffer.from(JSON.stringify({ ...payload, [CLAIM]: b.dbName })).toString(
    'base64url',
  );
  await api(`${head}.${forgedBody}.${signature}`).get('/api/students').expect(401);
  // Forged: signed with a key of our own.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${head}.${forgedBody}`;
  const ownSignature = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
  await api(`${input}.${ownSignature}`).get('/api/students').expect(401);

  // Another audience: a Management API token.
  await api(await managementToken())
    .get('/api/students')
    .expect(401);
  // Expired.
  const expired = await userToken(a.email, { clientId: 'expired', secret: 'expired-secret' });
  await api(expired).get('/api/students').expect(401);
});

test("a deleted school's token is refused at once, also when another process deleted it", async () => {
  const c = signupBody('Api School C');
  await request(svc.app).post('/users').send(c.request).expect(201);
  const tokenC = await userToken(c.email);
  // Warm: the lookup is cached and the pool holds a connection.
  await api(tokenC).post('/api/students', { firstName: 'Cy', lastName: 'Doe' }).expect(201);
  await api(tokenC).get('/api/students').expect(200);

  expect((await runTenantsCli(['delete', c.dbName, '--yes'], svc.cliEnv())).code).toBe(0);
  const refused = await api(tokenC).get('/api/students').expect(403);
  expect(refused.body.error.code).toBe('tenant_unknown');
  await api(tokenC).post('/api/students', { firstName: 'Ghost', lastName: 'Writer' }).expect(403);
});

test("/docs signs a school's user in as Swagger UI does, and the answers match the OpenAPI document", async () => {
  const doc = (await request(svc.app).get('/openapi.json').expect(200)).body as Record<
    string,
    unknown
  >;
  const scheme = pointer(doc, '#/components/securitySchemes/schoolLogin') as {
    flows: { password: { tokenUrl: string } };
    'x-client-id': string;
  };
  const tokenUrl = new URL(scheme.flows.password.tokenUrl);
  // The page may call the token endpoint from the browser (CSP connect-src)...
  const page = await request(svc.app).get('/docs').expect(200);
  expect(page.headers['content-security-policy']).toContain(
    `connect-src 'self' ${tokenUrl.origin}`,
  );
  // ...and the token endpoint lets it (CORS), for the form Swagger UI's password flow sends.
  const login = await request(tokenUrl.origin)
    .post(tokenUrl.pathname)
    .set('origin', 'http://localhost:3000')
    .type('form')
    .send({
      grant_type: 'password',
      username: a.email,
      password: TEST_PASSWORD,
      scope: '',
      client_id: scheme['x-client-id'],
    });
  expect(login.body).toMatchObject({ token_type: 'Bearer' });
  expect(login.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  const token = login.body.access_token as string;

  const valid = (schema: string, body: unknown) =>
    schemaValidator(doc, { $ref: `#/components/schemas/${schema}` })(body);
  const student = await api(token)
    .post('/api/students', { firstName: 'Doc', lastName: 'Brown' })
    .expect(201);
  expect(valid('Student', student.body)).toBe(true);
  expect(valid('Student', { ...student.body, id: 7 })).toBe(false); // the check can fail
  const dish = await api(token)
    .post('/api/menu-items', { name: 'Stew', priceCents: 350 })
    .expect(201);
  expect(valid('MenuItem', dish.body)).toBe(true);
  const week = await api(token)
    .post('/api/lunch-weeks', {
      startsOn: '2027-03-01',
      items: [{ menuItemId: dish.body.id, weekday: 3 }],
    })
    .expect(201);
  expect(valid('LunchWeek', week.body)).toBe(true);
  const order = {
    studentId: student.body.id,
    week: '2027-03-01',
    weekday: 3,
    menuItemId: dish.body.id,
  };
  expect(valid('Order', (await api(token).post('/api/orders', order).expect(201)).body)).toBe(true);
  const orders = await api(token).get('/api/orders?week=2027-03-01').expect(200);
  expect(orders.body.items).toHaveLength(1);
  for (const o of orders.body.items) expect(valid('Order', o)).toBe(true);
});
