import request from 'supertest';
import { signupBody } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    env: {
      CORS_ORIGINS: 'https://signup.example.edu,http://localhost:5173',
      SIGNUP_RATE_LIMIT_MAX: '3',
      SIGNUP_RATE_LIMIT_WINDOW_SECONDS: '60',
    },
  });
});
afterAll(async () => {
  await svc.close();
});

test('a preflight from an allowed origin is answered with that origin', async () => {
  const res = await request(svc.app)
    .options('/users')
    .set('origin', 'https://signup.example.edu')
    .set('access-control-request-method', 'POST')
    .set('access-control-request-headers', 'content-type');

  expect(res.status).toBe(204);
  expect(res.headers['access-control-allow-origin']).toBe('https://signup.example.edu');
  expect(res.headers['access-control-allow-methods']).toContain('POST');
  expect(res.headers['access-control-allow-headers']).toContain('content-type');
});

test("a school's app on an allowed origin may call /api with its users' tokens", async () => {
  const res = await request(svc.app)
    .options('/api/students/0b6e2e51-3d1c-4f0e-9a52-7d8c5b1f2a10')
    .set('origin', 'https://signup.example.edu')
    .set('access-control-request-method', 'PATCH')
    .set('access-control-request-headers', 'authorization, content-type');

  expect(res.status).toBe(204);
  expect(res.headers['access-control-allow-methods']).toContain('PATCH');
  expect(res.headers['access-control-allow-methods']).toContain('DELETE');
  expect(res.headers['access-control-allow-headers']).toContain('authorization');
});

test('an origin outside CORS_ORIGINS gets no CORS headers', async () => {
  const res = await request(svc.app)
    .options('/users')
    .set('origin', 'https://evil.example')
    .set('access-control-request-method', 'POST');

  expect(res.headers['access-control-allow-origin']).toBeUndefined();
});

test('responses carry helmet’s security headers and no x-powered-by', async () => {
  const res = await request(svc.app).get('/nope');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toBeDefined();
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
});

test('after the per-IP signup limit, responds 429 rate_limited with Retry-After and creates nothing', async () => {
  const bad = { email: 'nope', password: 'x', schoolName: 'x' };
  for (let i = 0; i < 3; i++)
    expect((await request(svc.app).post('/users').send(bad)).status).toBe(400);

  const res = await request(svc.app).post('/users').send(signupBody('Limited').request);

  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(await svc.catalogDb('catalog.schools').count({ n: '*' }).first()).toEqual({ n: '0' });
});

test('outside production the CSP does not force https, so the page also works over plain HTTP on a LAN', async () => {
  const res = await request(svc.app).get('/nope');
  expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
});
