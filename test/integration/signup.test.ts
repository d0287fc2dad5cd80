import request from 'supertest';
import { signupBody, TEST_PASSWORD } from '../helpers/signupData';
import {
  databaseExists,
  startTestService,
  uniqueSuffix,
  type TestService,
} from '../helpers/testService';
import { withDatabase } from '../../src/db/databaseUrl';
import { withKnex } from '../../src/db/knexFactory';
import { loadTenantMigrationSet } from '../../src/tenants/migration/tenantSchema';

const latestTenantVersion = () => loadTenantMigrationSet().schema.version;

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
});

/** A new school's signup as the form sends it (with the password typed twice). */
function school() {
  const s = signupBody('Springfield Elementary');
  return { ...s, request: { ...s.request, passwordConfirm: s.request.password } };
}

const post = (payload: unknown) =>
  request(svc.app)
    .post('/users')
    .send(payload as object);

async function schoolRow(dbName: string) {
  return svc.catalogDb('catalog.schools').where({ db_name: dbName }).first() as Promise<
    Record<string, unknown> | undefined
  >;
}

describe('POST /users', () => {
  test('when the signup is valid, responds 201 and creates the Auth0 user, a ready catalog row and a migrated database', async () => {
    const { request: input, dbName } = school();
    const res = await post(input);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      userId: expect.stringMatching(/^auth0\|/),
      email: input.email,
      school: { name: input.schoolName, dbName },
    });

    const user = svc.emulator.findUserByEmail(input.email);
    expect(user?.user_id).toBe(res.body.userId);
    expect(user?.app_metadata).toMatchObject({ db_name: dbName });

    expect(await schoolRow(dbName)).toMatchObject({
      name: input.schoolName,
      email: input.email,
      auth0_user_id: res.body.userId,
      status: 'ready',
      migration_version: latestTenantVersion(),
    });

    const version = await withKnex(withDatabase(svc.serverUrl, dbName), {}, async (db) => {
      const tables = await db('pg_tables').where({ schemaname: 'public' }).pluck('tablename');
      expect(tables).toEqual(
        expect.arrayContaining(['students', 'menu_items', 'lunch_weeks', 'orders']),
      );
      return db.migrate.currentVersion({ directory: 'tenant-migrations', loadExtensions: ['.ts'] });
    });
    expect(version).toBe(latestTenantVersion());
  });

  test('when ten schools sign up, the Management API token is requested exactly once', async () => {
    // A service of its own, so no token is cached from earlier tests.
    const fresh = await startTestService();
    try {
      for (let i = 0; i < 10; i++) {
        expect((await request(fresh.app).post('/users').send(school().request)).status).toBe(201);
      }
      expect(fresh.emulator.tokenRequestCount()).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  test('when the school name is already taken (other case and spacing), responds 409 school_taken and creates no Auth0 user', async () => {
    const first = school().request;
    expect((await post(first)).status).toBe(201);
    svc.emulator.resetRecords();

    const again = {
      ...school().request,
      schoolName: `  ${first.schoolName.toUpperCase().replace(/ /g, '   ')} `,
    };
    const res = await post(again);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('school_taken');
    expect(res.body.error.details.schoolName).toBeDefined();
    expect(svc.emulator.findUserByEmail(again.email)).toBeUndefined();
    expect(
      svc.emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/users'),
    ).toHaveLength(0);
  });

  test('when the email already has an Auth0 user, responds 409 email_taken and leaves no database or catalog row for the new school', async () => {
    const first = school().request;
    expect((await post(first)).status).toBe(201);
    // The same email, presented differently, for another school.
    const { request: other, dbName } = school();
    const second = { ...other, email: first.email.toUpperCase() };

    const res = await post(second);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
    expect(await schoolRow(dbName)).toBeUndefined();
    expect(await databaseExists(svc.admin, dbName)).toBe(false);
    expect(svc.emulator.users().filter((u) => u.email === first.email.toLowerCase())).toHaveLength(
      1,
    );
  });

  test('when Auth0 knows the email but the catalog does not, responds 409 email_taken and releases the reservation', async () => {
    const email = `outside.${uniqueSuffix()}@example.com`;
    // A user created in Auth0 directly, not through this service.
    const token = await request(svc.emulator.url).post('/oauth/token').send({
      grant_type: 'client_credentials',
      client_id: svc.auth0Settings.clientId,
      client_secret: svc.auth0Settings.clientSecret,
      audience: svc.auth0Settings.audience,
    });
    await request(svc.emulator.url)
      .post('/api/v2/users')
      .set('authorization', `Bearer ${token.body.access_token}`)
      .send({ email, password: TEST_PASSWORD, connection: 'Username-Password-Authentication' })
      .expect(201);

    const { request: input, dbName } = school();
    const res = await post({ ...input, email });

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
    expect(await schoolRow(dbName)).toBeUndefined();
    expect(await databaseExists(svc.admin, dbName)).toBe(false);
  });

  test('when Auth0 rejects the password as too weak, responds 400 with Auth0’s message on the password field and creates nothing', async () => {
    const { request: valid, dbName } = school();
    const input = { ...valid, password: 'weakpass', passwordConfirm: 'weakpass' };
    const res = await post(input);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.password).toEqual([
      'PasswordStrengthError: Password is too weak',
    ]);
    expect(await schoolRow(dbName)).toBeUndefined();
    expect(await databaseExists(svc.admin, dbName)).toBe(false);
    expect(svc.emulator.findUserByEmail(input.email)).toBeUndefined();
  });

  test('when a database with the school’s name already exists outside the catalog, responds 409 and leaves that database and Auth0 untouched', async () => {
    const { request: input, dbName } = school();
    await svc.admin.raw('CREATE DATABASE ??', [dbName]);
    await withKnex(withDatabase(svc.serverUrl, dbName), {}, (db) =>
      db.raw('CREATE TABLE precious (id int)'),
    );

    const res = await post(input);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('database_name_unavailable');
    expect(await schoolRow(dbName)).toBeUndefined();
    expect(svc.emulator.findUserByEmail(input.email)).toBeUndefined();
    const stillThere = await withKnex(withDatabase(svc.serverUrl, dbName), {}, (db) =>
      db('pg_tables').where({ tablename: 'precious' }).first(),
    );
    expect(stillThere).toBeDefined();
    await svc.admin.raw('DROP DATABASE ?? WITH (FORCE)', [dbName]);
  });

  test('never logs the password, the client secret or a token', async () => {
    const password = 'Unl1kely-Pa55word!';
    const input = { ...school().request, password, passwordConfirm: password };
    expect((await post(input)).status).toBe(201);
    await post({ ...school().request, password: 'weakpass', passwordConfirm: 'weakpass' });

    const logs = svc.logs.text();
    expect(logs).toContain('school signed up');
    expect(logs).not.toContain('Unl1kely-Pa55word!');
    expect(logs).not.toContain('weakpass');
    expect(logs).not.toContain(svc.auth0Settings.clientSecret);
    expect(logs).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
  });
});
