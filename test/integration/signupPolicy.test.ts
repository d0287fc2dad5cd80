import request from 'supertest';
import {
  PreUserRegistrationError,
  type PreSignupRule,
} from '../../src/schools/preSignupRules/types';
import { expectConsistent } from '../helpers/consistency';
import { signupBody, type SignupData } from '../helpers/signupData';
import { databaseExists, startTestService, type TestService } from '../helpers/testService';

/** Pre-signup rules: built-in domain lists from config and the typed hook module. */

jest.setTimeout(60_000);

let svc: TestService;
/** Which hook behaviour the next signup gets (the rules read it at run time). */
let hookMode: 'none' | 'metadata' | 'reserved' | 'ours' | 'dotted' | 'throws' | 'deny' = 'none';

const teamRule: PreSignupRule = (event, api) => {
  switch (hookMode) {
    case 'metadata':
      api.user.setUserMetadata('preferred_language', event.locale);
      api.user.setAppMetadata('plan', 'trial');
      api.user.setAppMetadata('features', { lunch: true, limits: [1, 2] });
      return;
    case 'reserved':
      api.user.setAppMetadata('email_verified', true);
      return;
    case 'ours':
      api.user.setAppMetadata('db_name', 'someone_elses_db');
      return;
    case 'dotted':
      api.user.setUserMetadata('preference.color', 'pink');
      return;
    case 'throws':
      throw new TypeError('cannot read properties of undefined');
    case 'deny':
      throw new PreUserRegistrationError(`school name ${event.schoolName} looks like a test`, {
        en: 'Please use your school’s real name.',
        es: 'Por favor, usa el nombre real de tu escuela.',
      });
    default:
  }
};

beforeAll(async () => {
  svc = await startTestService({
    env: {
      SIGNUP_BLOCKED_EMAIL_DOMAINS: 'mailinator.com, spam.test',
      SIGNUP_ALLOWED_EMAIL_DOMAINS: '',
    },
    service: { preSignupRules: [teamRule] },
  });
});
afterAll(async () => {
  await svc.close();
});
afterEach(() => {
  hookMode = 'none';
});

const createCalls = () =>
  svc.emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/users').length;

async function expectNothingCreated(s: SignupData) {
  expect(
    await svc.catalogDb('catalog.schools').where({ db_name: s.dbName }).first(),
  ).toBeUndefined();
  expect(await databaseExists(svc.admin, s.dbName)).toBe(false);
  expect(svc.emulator.findUserByEmail(s.email)).toBeUndefined();
  expect(await svc.catalogDb('catalog.users').where({ email: s.email }).first()).toBeUndefined();
  const events: { payload: { data: { email: string } } }[] = await svc
    .catalogDb('catalog.outbox')
    .select('payload');
  expect(events.filter((e) => e.payload.data.email === s.email)).toEqual([]);
  await expectConsistent({ ...svc, attempted: [s.dbName] });
}

describe('built-in domain rules', () => {
  test('a blocked domain gets 403 signup_denied in English, and nothing is created anywhere', async () => {
    const s = signupBody('Policy School', { domain: 'mailinator.com' });
    svc.emulator.resetRecords();
    const res = await request(svc.app)
      .post('/users')
      .set('accept-language', 'en-US')
      .send(s.request);

    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        code: 'signup_denied',
        message:
          'Signups with this email domain are not allowed. Please use your school email address.',
      },
    });
    expect(createCalls()).toBe(0);
    await expectNothingCreated(s);
    // The internal reason is logged, not sent.
    expect(svc.logs.text()).toContain('email domain mailinator.com is blocked');
    expect(JSON.stringify(res.body)).not.toContain('SIGNUP_BLOCKED');
  });

  test('the same denial in Spanish for Accept-Language: es-MX (and for a subdomain of a blocked domain)', async () => {
    const s = signupBody('Policy School', { domain: 'eu.spam.test' });
    const res = await request(svc.app)
      .post('/users')
      .set('accept-language', 'fr;q=0.9, es-MX, en;q=0.5')
      .send(s.request);

    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'signup_denied',
      message:
        'No se permiten registros con este dominio de correo. Usa la dirección de correo de tu escuela.',
    });
    await expectNothingCreated(s);
  });

  test('an allow-list refuses every other domain', async () => {
    const only = await startTestService({
      env: { SIGNUP_ALLOWED_EMAIL_DOMAINS: 'springfield.edu' },
    });
    try {
      const refused = signupBody('Policy School', { domain: 'school.test' });
      const res = await request(only.app).post('/users').send(refused.request);
      expect([res.status, res.body.error.code]).toEqual([403, 'signup_denied']);
      const allowed = signupBody('Policy School', { domain: 'springfield.edu' });
      expect((await request(only.app).post('/users').send(allowed.request)).status).toBe(201);
    } finally {
      await only.close();
    }
  });
});

describe('the hook module', () => {
  test('metadata a rule adds reaches the Auth0 user, beside our db_name, signup_id and deployment', async () => {
    hookMode = 'metadata';
    const s = signupBody('Policy School');
    const res = await request(svc.app).post('/users').set('accept-language', 'es').send(s.request);

    expect(res.status).toBe(201);
    const user = svc.emulator.findUserByEmail(s.email);
    expect(user?.user_metadata).toEqual({ preferred_language: 'es' });
    expect(user?.app_metadata).toEqual({
      plan: 'trial',
      features: { lunch: true, limits: [1, 2] },
      db_name: s.dbName,
      signup_id: expect.any(String),
      deployment: svc.deployment,
    });
  });

  test('a rule can deny with its own localized message (PreUserRegistrationError)', async () => {
    hookMode = 'deny';
    const s = signupBody('Policy School');
    const res = await request(svc.app).post('/users').set('accept-language', 'es').send(s.request);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('Por favor, usa el nombre real de tu escuela.');
    expect(svc.logs.text()).toContain('looks like a test');
    await expectNothingCreated(s);
  });

  test.each([
    ['an Auth0-reserved app_metadata name', 'reserved', 'reserved by Auth0'],
    ['our own db_name', 'ours', 'cannot be overwritten'],
    ['a key with a dot', 'dotted', 'preference.color'],
    ['a rule that throws', 'throws', 'cannot read properties of undefined'],
  ] as const)(
    'bad hook output (%s) is a 500 invalid_hook_output, logged, and leaves nothing',
    async (_, mode, logged) => {
      hookMode = mode;
      const s = signupBody('Policy School');
      svc.emulator.resetRecords();
      const res = await request(svc.app).post('/users').send(s.request);

      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('invalid_hook_output');
      expect(JSON.stringify(res.body)).not.toContain(logged);
      expect(svc.logs.text()).toContain(logged);
      expect(createCalls()).toBe(0);
      await expectNothingCreated(s);
    },
  );
});

describe('what a ready signup records', () => {
  test('the user in catalog.users linked to the school, and one user.new event in the outbox', async () => {
    const s = signupBody('Policy School');
    const res = await request(svc.app).post('/users').send(s.request);
    expect(res.status).toBe(201);

    const school = await svc.catalogDb('catalog.schools').where({ db_name: s.dbName }).first();
    expect(
      await svc.catalogDb('catalog.users').where({ user_id: res.body.userId }).first(),
    ).toMatchObject({
      email: s.email,
      connection: 'Username-Password-Authentication',
      strategy: 'auth0',
      school_id: school.id,
    });
    const events = (await svc.catalogDb('catalog.outbox').select()).filter(
      (e: { payload: { data: { userId: string } } }) => e.payload.data.userId === res.body.userId,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'user.new',
      published_at: null, // no AMQP_URL here: it waits in the outbox
      notified_at: null,
      payload: {
        id: events[0].id,
        type: 'user.new',
        occurredAt: expect.any(String),
        data: {
          userId: res.body.userId,
          email: s.email,
          schoolName: s.schoolName,
          dbName: s.dbName,
        },
      },
    });
  });
});
