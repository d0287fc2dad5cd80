import request from 'supertest';
import { expectConsistent } from '../helpers/consistency';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ emulator: { rateLimit: { limit: 1000, windowSeconds: 1 } } });
});
afterAll(async () => {
  await svc.close();
});

const password = 'Sup3r-secret';

test('20 concurrent signups for one school: exactly one 201, the others 409 school_taken, one Auth0 user', async () => {
  const id = uniqueSuffix();
  const schoolName = `Race School ${id}`;
  const responses = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      request(svc.app)
        .post('/users')
        .send({ email: `race${i}.${id}@school.test`, password, schoolName }),
    ),
  );

  const statuses = responses.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  for (const r of responses.filter((x) => x.status === 409))
    expect(r.body.error.code).toBe('school_taken');
  const dbName = `race_school_${id}`;
  expect(svc.emulator.users().filter((u) => u.app_metadata?.db_name === dbName)).toHaveLength(1);
  await expectConsistent({ ...svc, attempted: [dbName] });
});

test('10 concurrent signups with one email for different schools: exactly one tenant, the losers leave nothing', async () => {
  const id = uniqueSuffix();
  const email = `same.${id}@school.test`;
  const names = Array.from({ length: 10 }, (_, i) => `Email Race ${i} ${id}`);
  const responses = await Promise.all(
    names.map((schoolName) =>
      request(svc.app).post('/users').send({ email, password, schoolName }),
    ),
  );

  expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
  for (const r of responses.filter((x) => x.status !== 201)) {
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('email_taken');
  }
  expect(svc.emulator.users().filter((u) => u.email === email)).toHaveLength(1);
  const attempted = names.map((n) => n.toLowerCase().replace(/ /g, '_'));
  const ready = await expectConsistent({ ...svc, attempted });
  expect(ready.filter((db) => attempted.includes(db))).toHaveLength(1);
});

test('12 concurrent signups for different schools all clone the template without conflicts', async () => {
  const id = uniqueSuffix();
  const names = Array.from({ length: 12 }, (_, i) => `Clone School ${i} ${id}`);
  const responses = await Promise.all(
    names.map((schoolName, i) =>
      request(svc.app)
        .post('/users')
        .send({ email: `clone${i}.${id}@school.test`, password, schoolName }),
    ),
  );

  expect(responses.map((r) => r.status)).toEqual(names.map(() => 201));
  // No "source database is being accessed by other users": nothing fell back to migrating.
  expect(svc.logs.text()).not.toContain('cloning the tenant template failed');
  const attempted = names.map((n) => n.toLowerCase().replace(/ /g, '_'));
  const ready = await expectConsistent({ ...svc, attempted });
  expect(ready).toEqual(expect.arrayContaining(attempted));
});
