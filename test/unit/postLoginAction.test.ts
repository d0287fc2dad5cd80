// The post-login Action (auth0-actions/post-login.js), called as Auth0 calls it, with a
// stand-in for its `api` object that records what the Action asked of Auth0.

interface PostLoginAction {
  onExecutePostLogin(event: object, api: object): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript, pasted into Auth0 as is
const action = require('../../auth0-actions/post-login.js') as PostLoginAction;

function fakeApi() {
  const claims: Record<string, unknown> = {};
  const appMetadata: Record<string, unknown> = {};
  const cache = new Map<string, { value: string }>();
  const api = {
    accessToken: { setCustomClaim: (name: string, value: unknown) => (claims[name] = value) },
    user: { setAppMetadata: (name: string, value: unknown) => (appMetadata[name] = value) },
    cache: {
      get: (key: string) => cache.get(key),
      set: (key: string, value: string) => cache.set(key, { value }),
      delete: (key: string) => cache.delete(key),
    },
  };
  return { api, claims, appMetadata };
}

const event = (logins: number, appMetadata: object | undefined, secrets: object = {}) => ({
  stats: { logins_count: logins },
  user: { user_id: 'auth0|abc', email: 'head@school.example', app_metadata: appMetadata },
  connection: { name: 'Username-Password-Authentication', strategy: 'auth0' },
  // Nothing listens on port 9: a first login's sync fails fast, as with the service down.
  secrets: {
    AUTH0_DOMAIN: '127.0.0.1:9',
    SIGNUP_API_URL: 'http://127.0.0.1:9',
    API_AUDIENCE: 'urn:tenant-signup:api',
    ...secrets,
  },
});

describe('post-login Action: the tenant claim', () => {
  it('on a later login (no sync), adds https://tenant-signup/db_name from app_metadata.db_name', async () => {
    const { api, claims, appMetadata } = fakeApi();
    await action.onExecutePostLogin(event(7, { db_name: 'school_oak' }), api);
    expect(claims).toEqual({ 'https://tenant-signup/db_name': 'school_oak' });
    expect(appMetadata).toEqual({});
  });

  it('uses the TENANT_CLAIM secret as the claim name when set', async () => {
    const { api, claims } = fakeApi();
    await action.onExecutePostLogin(
      event(2, { db_name: 'school_oak' }, { TENANT_CLAIM: 'https://example.org/school' }),
      api,
    );
    expect(claims).toEqual({ 'https://example.org/school': 'school_oak' });
  });

  it('adds no claim for a user without db_name', async () => {
    const { api, claims } = fakeApi();
    await action.onExecutePostLogin(event(3, undefined), api);
    await action.onExecutePostLogin(event(3, { tenant_signup_synced: true }), api);
    expect(claims).toEqual({});
  });

  it('on the first login, adds the claim even though the sync fails (and fails open)', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const { api, claims, appMetadata } = fakeApi();
      await action.onExecutePostLogin(event(1, { db_name: 'school_oak' }), api);
      expect(claims).toEqual({ 'https://tenant-signup/db_name': 'school_oak' });
      expect(appMetadata).toEqual({}); // not marked synced
      expect(log).toHaveBeenCalledWith(expect.stringContaining('tenant-signup sync skipped'));
    } finally {
      log.mockRestore();
    }
  });
});
