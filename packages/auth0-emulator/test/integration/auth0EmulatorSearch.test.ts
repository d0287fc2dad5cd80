import { ManagementClient } from 'auth0';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
  type Auth0EmulatorOptions,
  type EmulatorUser,
} from '../../src';
import { waitUntil } from '../waitUntil';

// GET /api/v2/users (search engine v3) and its eventual consistency, over real HTTP.

const CONNECTION = 'Username-Password-Authentication';
const CREATOR = { clientId: 'creator', clientSecret: 'creator-secret', scopes: ['create:users'] };

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  em: Auth0Emulator,
  method: string,
  path: string,
  opts: { token?: string; json?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const res = await fetch(`${em.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function tokenFor(
  em: Auth0Emulator,
  client = { clientId: EMULATOR_CLIENT_ID, clientSecret: EMULATOR_CLIENT_SECRET },
): Promise<string> {
  const reply = await call(em, 'POST', '/oauth/token', {
    json: {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      audience: em.managementAudience,
    },
  });
  expect(reply.status).toBe(200);
  return (reply.body as { access_token: string }).access_token;
}

async function createUser(
  em: Auth0Emulator,
  token: string,
  email: string,
  appMetadata: Record<string, unknown> = {},
): Promise<EmulatorUser> {
  const reply = await call(em, 'POST', '/api/v2/users', {
    token,
    json: { email, password: 'Correct-Horse-9', connection: CONNECTION, app_metadata: appMetadata },
  });
  expect(reply.status).toBe(201);
  return reply.body as EmulatorUser;
}

const search = (params: Record<string, string>): string =>
  `/api/v2/users?${new URLSearchParams({ search_engine: 'v3', ...params }).toString()}`;

const ids = (body: unknown): string[] => (body as EmulatorUser[]).map((u) => u.user_id);

describe('Auth0 emulator user search', () => {
  let em: Auth0Emulator;
  let token: string;
  // One deployment's signups; every test gets its own tag so tests never see each other's users.
  let tagCount = 0;
  const tag = () => `t${(tagCount += 1)}-${Date.now()}`;

  beforeAll(async () => {
    em = await startAuth0Emulator({
      clients: [
        {
          clientId: EMULATOR_CLIENT_ID,
          clientSecret: EMULATOR_CLIENT_SECRET,
          scopes: ['create:users', 'read:users', 'delete:users'],
        },
        CREATOR,
      ],
    });
    token = await tokenFor(em);
  });
  afterAll(() => em.stop());

  it('finds users by app_metadata terms joined by AND, with fields projected', async () => {
    const deployment = tag();
    const mine = await createUser(em, token, `${deployment}-a@example.com`, {
      deployment,
      signup_id: 's1',
    });
    await createUser(em, token, `${deployment}-b@example.com`, { deployment });
    await createUser(em, token, `${deployment}-c@example.com`, { deployment: 'other' });

    const reply = await call(
      em,
      'GET',
      search({
        q: `app_metadata.deployment:"${deployment}" AND _exists_:app_metadata.signup_id`,
        fields: 'user_id,app_metadata',
      }),
      { token },
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([
      { user_id: mine.user_id, app_metadata: { deployment, signup_id: 's1' } },
    ]);
    expect(reply.headers.get('x-ratelimit-limit')).not.toBeNull();
  });

  it('matches e-mail case-insensitively and whole values only', async () => {
    const prefix = tag();
    const user = await createUser(em, token, `${prefix}@example.com`);
    const exact = await call(
      em,
      'GET',
      search({ q: `email:"${prefix.toUpperCase()}@EXAMPLE.COM"` }),
      { token },
    );
    expect(ids(exact.body)).toEqual([user.user_id]);
    const partial = await call(em, 'GET', search({ q: `email:"${prefix}"` }), { token });
    expect(partial.body).toEqual([]);
  });

  it('selects by created_at range and sorts by created_at either way', async () => {
    const deployment = tag();
    const made: EmulatorUser[] = [];
    for (const n of [1, 2, 3])
      made.push(await createUser(em, token, `${deployment}-${n}@example.com`, { deployment }));
    const [first] = made;
    const q = `app_metadata.deployment:"${deployment}" AND created_at:{${String(first?.created_at)} TO *]`;
    const later = await call(em, 'GET', search({ q, sort: 'created_at:-1' }), { token });
    const expected = made
      .filter((u) => u.created_at > String(first?.created_at))
      .sort(
        (a, b) => b.created_at.localeCompare(a.created_at) || b.user_id.localeCompare(a.user_id),
      );
    expect(later.status).toBe(200);
    expect((later.body as EmulatorUser[]).map((u) => u.created_at)).toEqual(
      expected.map((u) => u.created_at),
    );
    expect(ids(later.body)).not.toContain(first?.user_id);

    const all = await call(
      em,
      'GET',
      search({ q: `app_metadata.deployment:"${deployment}"`, sort: 'created_at:1' }),
      { token },
    );
    const times = (all.body as EmulatorUser[]).map((u) => u.created_at);
    expect(times).toEqual([...times].sort());
    expect(times).toHaveLength(3);
  });

  it('pages results and reports totals with include_totals', async () => {
    const deployment = tag();
    for (const n of [1, 2, 3, 4, 5])
      await createUser(em, token, `${deployment}-${n}@example.com`, { deployment });
    const q = `app_metadata.deployment:"${deployment}"`;
    const everyone = await call(em, 'GET', search({ q, sort: 'created_at:1' }), { token });
    const order = ids(everyone.body);
    expect(order).toHaveLength(5);

    const page1 = await call(
      em,
      'GET',
      search({ q, sort: 'created_at:1', per_page: '2', page: '1', include_totals: 'true' }),
      { token },
    );
    expect(page1.status).toBe(200);
    const body = page1.body as {
      start: number;
      limit: number;
      length: number;
      total: number;
      users: EmulatorUser[];
    };
    expect({ ...body, users: body.users.map((u) => u.user_id) }).toEqual({
      start: 2,
      limit: 2,
      length: 2,
      total: 5,
      users: order.slice(2, 4),
    });
    const last = await call(
      em,
      'GET',
      search({ q, sort: 'created_at:1', per_page: '2', page: '2' }),
      { token },
    );
    expect(ids(last.body)).toEqual(order.slice(4));
  });

  it('refuses to page past the first 1000 results with 400 invalid_paging', async () => {
    const lastPage = await call(em, 'GET', search({ per_page: '100', page: '9' }), { token });
    expect(lastPage.status).toBe(200);
    const beyond = await call(em, 'GET', search({ per_page: '100', page: '10' }), { token });
    expect(beyond.status).toBe(400);
    expect(beyond.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(
        /^You can only page through the first 1000 records/,
      ) as unknown,
      errorCode: 'invalid_paging',
    });
    const straddling = await call(em, 'GET', search({ per_page: '30', page: '33' }), { token });
    expect(straddling.status).toBe(400); // records 990-1019: the window passes 1000
  });

  it.each([
    [{ per_page: '101' }, /greater than maximum 100' on property per_page/],
    [{ page: '-1' }, /less than minimum 0' on property page/],
    [{ include_totals: 'yes' }, /Expected type boolean/],
    [{ q: 'email:"a@example.com" OR email:"b@example.com"' }, /only terms joined by AND/],
    [{ q: 'name:jane*' }, /wildcard/],
    [{ q: 'favourite:"x"' }, /unknown field/],
    [{ sort: 'app_metadata.deployment:1' }, /on property sort/],
    [{ search_engine: 'v2' }, /search_engine v3 only/],
    [{ per_pgae: '10' }, /Additional properties not allowed: per_pgae/],
  ])('answers 400 invalid_query_string for %p', async (params, message) => {
    const reply = await call(em, 'GET', search(params), { token });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(message) as unknown,
      errorCode: 'invalid_query_string',
    });
  });

  it('answers 401 without a token and 403 without read:users', async () => {
    expect((await call(em, 'GET', search({}))).status).toBe(401);
    const reply = await call(em, 'GET', search({}), { token: await tokenFor(em, CREATOR) });
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ errorCode: 'insufficient_scope' });
  });

  it('serves the official SDK users.getAll with a v3 query and totals', async () => {
    const deployment = tag();
    const user = await createUser(em, token, `${deployment}@example.com`, { deployment });
    // As in auth0Emulator.test.ts: the SDK builds https URLs; its `fetch` option downgrades them.
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
    const { data } = await management.users.getAll({
      q: `app_metadata.deployment:"${deployment}"`,
      search_engine: 'v3',
      include_totals: true,
    });
    expect(data).toMatchObject({ total: 1, users: [{ user_id: user.user_id }] });
  });
});

describe('Auth0 emulator search index lag', () => {
  const started: Auth0Emulator[] = [];
  const start = async (opts: Auth0EmulatorOptions) => {
    const em = await startAuth0Emulator(opts);
    started.push(em);
    return em;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((em) => em.stop()));
  });

  const byEmail = (em: Auth0Emulator, token: string, email: string) =>
    call(em, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`, { token });
  const searchEmail = (em: Auth0Emulator, token: string, email: string) =>
    call(em, 'GET', search({ q: `email:"${email}"` }), { token });

  it('hides a new user from search, not from users-by-email, until searchIndexDelayMs has passed', async () => {
    const delay = 2000;
    const em = await start({ searchIndexDelayMs: delay });
    const token = await tokenFor(em);
    const began = Date.now();
    const user = await createUser(em, token, 'lagging@example.com');

    expect(ids((await byEmail(em, token, user.email)).body)).toEqual([user.user_id]);
    expect((await searchEmail(em, token, user.email)).body).toEqual([]);
    await waitUntil(
      'the user to reach the search index',
      async () => ids((await searchEmail(em, token, user.email)).body).length > 0,
    );
    expect(Date.now() - began).toBeGreaterThanOrEqual(delay);
  });

  it('still finds a deleted user in search until the delay has passed, while GET by id is 404', async () => {
    const em = await start({ searchIndexDelayMs: 2000 });
    const token = await tokenFor(em);
    const user = await createUser(em, token, 'deleted@example.com');
    await waitUntil(
      'the user to be searchable',
      async () => ids((await searchEmail(em, token, user.email)).body).length > 0,
    );
    const path = `/api/v2/users/${encodeURIComponent(user.user_id)}`;
    expect((await call(em, 'DELETE', path, { token })).status).toBe(204);

    expect((await call(em, 'GET', path, { token })).status).toBe(404);
    expect(ids((await searchEmail(em, token, user.email)).body)).toEqual([user.user_id]);
    await waitUntil(
      'the delete to reach the search index',
      async () => ids((await searchEmail(em, token, user.email)).body).length === 0,
    );
  });

  it('lets the control API read and change the delay while running', async () => {
    const em = await start({ enableControlApi: true });
    const token = await tokenFor(em);
    expect((await call(em, 'GET', '/__emulator/settings')).body).toEqual({ searchIndexDelayMs: 0 });
    const slowed = await call(em, 'PATCH', '/__emulator/settings', {
      json: { searchIndexDelayMs: 60_000 },
    });
    expect(slowed).toMatchObject({ status: 200, body: { searchIndexDelayMs: 60_000 } });
    expect(em.settings()).toEqual({ searchIndexDelayMs: 60_000 });

    const user = await createUser(em, token, 'controlled@example.com');
    expect((await searchEmail(em, token, user.email)).body).toEqual([]);
    await call(em, 'PATCH', '/__emulator/settings', { json: { searchIndexDelayMs: 0 } });
    expect(ids((await searchEmail(em, token, user.email)).body)).toEqual([user.user_id]);

    for (const json of [{ searchIndexDelayMs: -1 }, { searchIndexDelayMs: 'soon' }, { lag: 1 }]) {
      const refused = await call(em, 'PATCH', '/__emulator/settings', { json });
      expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_settings' } });
    }
    expect(() => em.updateSettings({ searchIndexDelayMs: -5 })).toThrow();
  });
});
