import request from 'supertest';
import { signupBody } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc.close();
});

const valid = () => signupBody('Valid School').request;

/** Nothing may be created anywhere by a rejected request. */
async function expectNothingCreated(): Promise<void> {
  expect(await svc.catalogDb('catalog.schools').count({ n: '*' }).first()).toEqual({ n: '0' });
  expect(svc.emulator.users()).toHaveLength(0);
  expect(svc.emulator.requests().filter((r) => r.path === '/api/v2/users')).toHaveLength(0);
}

describe('POST /users with invalid input', () => {
  test.each([
    ['a missing email', { email: undefined }, 'email', 'Email is required.'],
    ['a malformed email', { email: 'not-an-email' }, 'email', 'Enter a valid email address.'],
    ['a numeric email', { email: 42 }, 'email', 'Email must be text.'],
    ['a missing password', { password: undefined }, 'password', 'Password is required.'],
    ['an empty password', { password: '' }, 'password', 'Password is required.'],
    [
      'a 129-character password',
      { password: 'Aa1!'.repeat(33).slice(0, 129) },
      'password',
      'Password must be at most 128 characters.',
    ],
    [
      'passwords that differ',
      { passwordConfirm: 'Other-Secr3t' },
      'passwordConfirm',
      'Passwords do not match.',
    ],
    ['a missing school name', { schoolName: undefined }, 'schoolName', 'School name is required.'],
    [
      'a school name of punctuation only',
      { schoolName: '!!! ??? ---' },
      'schoolName',
      'School name must contain letters or digits.',
    ],
    [
      'a school name of emoji only',
      { schoolName: '🏫🎒✏️' },
      'schoolName',
      'School name must contain letters or digits.',
    ],
    [
      'a school name with control characters',
      { schoolName: 'Bad\u0000School' },
      'schoolName',
      'School name must not contain control characters.',
    ],
    [
      'a school name of 201 characters',
      { schoolName: 'x'.repeat(201) },
      'schoolName',
      'School name must be at most 200 characters.',
    ],
    [
      'a school named postgres',
      { schoolName: 'Postgres' },
      'schoolName',
      'This school name is reserved. Please choose another name.',
    ],
    [
      'a school named Template1',
      { schoolName: 'Template1' },
      'schoolName',
      'This school name is reserved. Please choose another name.',
    ],
    ['an unknown field', { role: 'admin' }, 'role', 'Unknown field.'],
  ])(
    'when the body has %s, responds 400 with a message on that field and creates nothing',
    async (_name, change, field, message) => {
      const res = await request(svc.app)
        .post('/users')
        .send({ ...valid(), ...change });

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details[field]).toContain(message);
      await expectNothingCreated();
    },
  );

  test.each([
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['JSON null', 'null'],
    ['malformed JSON', '{"email": '],
  ])('when the body is %s, responds 400 invalid_request', async (_name, raw) => {
    const res = await request(svc.app)
      .post('/users')
      .set('content-type', 'application/json')
      .send(raw);

    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'invalid_request',
      details: { body: expect.any(Array) },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    await expectNothingCreated();
  });

  test('when the body is larger than the limit, responds 413', async () => {
    const res = await request(svc.app)
      .post('/users')
      .send({ ...valid(), schoolName: 'x'.repeat(20_000) });

    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNothingCreated();
  });

  test('when the body is not JSON, responds 415', async () => {
    const res = await request(svc.app).post('/users').type('form').send(valid());

    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    await expectNothingCreated();
  });

  test('when the body has a __proto__ key, responds 400 and pollutes nothing', async () => {
    // Written as text: an object literal's __proto__ would set the prototype, not send a key.
    const raw = JSON.stringify(signupBody('Proto School').request).replace(
      /}$/,
      ',"__proto__":{"polluted":true}}',
    );
    const res = await request(svc.app)
      .post('/users')
      .set('content-type', 'application/json')
      .send(raw);
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await expectNothingCreated();
  });

  test('when the route does not exist, responds 404 in the same error shape', async () => {
    const res = await request(svc.app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
