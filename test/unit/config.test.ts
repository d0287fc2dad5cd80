import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('with an empty environment, uses the documented defaults and the embedded services', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      http: { port: 3000, host: '0.0.0.0' },
      database: { url: undefined, embedded: { port: 54329 } },
      auth0: { tenant: undefined, connection: 'Username-Password-Authentication' },
      tenants: { spareDatabases: 2, migrationConcurrency: 8 },
      reconcile: { horizonSeconds: 900 },
    });
  });

  test('the result is frozen all the way down', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth0.emulator)).toBe(true);
    expect(Object.isFrozen(config.http.corsOrigins)).toBe(true);
    expect(config.http.corsOrigins).toEqual(['https://a.example']);
  });

  test('a bare AUTH0_DOMAIN means https and the default Management API audience', () => {
    const config = loadConfig({
      AUTH0_DOMAIN: 'school.eu.auth0.com',
      AUTH0_CLIENT_ID: 'id',
      AUTH0_CLIENT_SECRET: 'secret',
    });
    expect(config.auth0.tenant).toMatchObject({
      baseUrl: 'https://school.eu.auth0.com',
      audience: 'https://school.eu.auth0.com/api/v2/',
    });
  });

  test('a full URL in AUTH0_DOMAIN is kept (emulators, tests) and AUTH0_AUDIENCE overrides the audience', () => {
    const config = loadConfig({
      AUTH0_DOMAIN: 'http://127.0.0.1:4010/',
      AUTH0_CLIENT_ID: 'id',
      AUTH0_CLIENT_SECRET: 'secret',
      AUTH0_AUDIENCE: 'https://custom/api/v2/',
    });
    expect(config.auth0.tenant).toMatchObject({
      baseUrl: 'http://127.0.0.1:4010',
      audience: 'https://custom/api/v2/',
    });
  });

  test.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL/],
    [{ AUTH0_DOMAIN: 'x.auth0.com' }, /AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET/],
    [{ NODE_ENV: 'production' }, /AUTH0_DOMAIN.*required when NODE_ENV=production/],
    [{ MIGRATE_TENANTS_ON_START: 'maybe' }, /MIGRATE_TENANTS_ON_START/],
    [
      { CORS_ORIGINS: 'https://a.example/path' },
      /CORS_ORIGINS: https:\/\/a.example\/path is not an origin/,
    ],
    [
      { SIGNUP_BLOCKED_EMAIL_DOMAINS: 'ok.example,nodot' },
      /SIGNUP_BLOCKED_EMAIL_DOMAINS: nodot is not a domain/,
    ],
    [{ RECONCILE_HORIZON_SECONDS: '30' }, /RECONCILE_HORIZON_SECONDS: must be at least 75/],
    [{ TENANT_SPARE_DATABASES: '21' }, /TENANT_SPARE_DATABASES/],
  ])('rejects %j with an error naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('the error never echoes a secret value', () => {
    try {
      loadConfig({ AUTH0_DOMAIN: 'x.auth0.com', AUTH0_CLIENT_SECRET: 'topsecret-value' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).not.toContain('topsecret-value');
    }
  });
});

describe('DATABASE_SERVERS', () => {
  test('unset, there is no server besides default', () => {
    expect(loadConfig({}).database.servers).toEqual([]);
  });

  test('a JSON object of name to URL, or to { url, maxTenants }', () => {
    const config = loadConfig({
      DATABASE_SERVERS: JSON.stringify({
        'eu-2': 'postgres://signup:pw@pg-eu-2:5432/postgres',
        us_1: { url: 'postgresql://pg-us:5433/admin', maxTenants: 500 },
      }),
    });
    expect(config.database.servers).toEqual([
      { name: 'eu-2', url: 'postgres://signup:pw@pg-eu-2:5432/postgres' },
      { name: 'us_1', url: 'postgresql://pg-us:5433/admin', maxTenants: 500 },
    ]);
  });

  test.each([
    ['not JSON', '{"eu-2": postgres://x', /DATABASE_SERVERS: is not valid JSON/],
    ['an array', '["postgres://h/db"]', /must be a JSON object/],
    ['a bad name', '{"EU 2":"postgres://h/db"}', /EU 2 is not a server name/],
    ['an entry for default', '{"default":"postgres://h/db"}', /default is DATABASE_URL's server/],
    ['a non-postgres URL', '{"eu":"mysql://h/db"}', /eu is not a postgres:\/\/ URL/],
    ['a URL naming no database', '{"eu":"postgres://h:5432"}', /eu is not a postgres:\/\/ URL/],
    ['a bad maxTenants', '{"eu":{"url":"postgres://h/db","maxTenants":0}}', /eu must be a URL or/],
  ])('refuses %s, naming the variable', (_, value, message) => {
    expect(() => loadConfig({ DATABASE_SERVERS: value })).toThrow(message);
  });

  test('a refused value never echoes a password', () => {
    const secret = 'hunter2-secret';
    for (const value of [
      `{"eu": "mysql://u:${secret}@h/db"}`,
      `{"eu": postgres://u:${secret}@h/db}`,
      `{"default": "postgres://u:${secret}@h/db"}`,
    ]) {
      expect(() => loadConfig({ DATABASE_SERVERS: value })).toThrow(ConfigError);
      try {
        loadConfig({ DATABASE_SERVERS: value });
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });
});
