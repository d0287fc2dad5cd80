import request from 'supertest';
import { expectConsistent } from '../helpers/consistency';
import { signupBody } from '../helpers/signupData';
import { startTestService, type TestService } from '../helpers/testService';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({ emulator: { rateLimit: { limit: 1000, windowSeconds: 1 } } });
});
afterAll(async () => {
  await svc.close();
});

test('20 concurrent signups for one school: exactly one 201, the others 409 school_taken, one Auth0 user', async () => {
  const { schoolName, dbName } = signupBody('Race School');
  // Twenty applicants, each with an email of their own, for the same school.
  const responses = await Promise.all(
    Array.from({ length: 20 }, () =>
      request(svc.app)
        .post('/users')
        .send({ ...signupBody('Race Applicant').request, schoolName }),
    ),
  );

  const statuses = responses.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  for (const r of responses.filter((x) => x.status === 409))
    expect(r.body.error.code).toBe('school_taken');
  expect(svc.emulator.users().filter((u) => u.app_metadata?.db_name === dbName)).toHaveLength(1);
  await expectConsistent({ ...svc, attempted: [dbName] });
});

test('10 concurrent signups with one email for different schools: exactly one tenant, the losers leave nothing', async () => {
  const { email } = signupBody('Same Email');
  const schools = Array.from({ length: 10 }, () => signupBody('Email Race'));
  const responses = await Promise.all(
    schools.map((s) =>
      request(svc.app)
        .post('/users')
        .send({ ...s.request, email }),
    ),
  );

  expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
  for (const r of responses.filter((x) => x.status !== 201)) {
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('email_taken');
  }
  expect(svc.emulator.users().filter((u) => u.email === email)).toHaveLength(1);
  const attempted = schools.map((s) => s.dbName);
  const ready = await expectConsistent({ ...svc, attempted });
  expect(ready.filter((db) => attempted.includes(db))).toHaveLength(1);
});

test('12 concurrent signups for different schools all clone the template without conflicts', async () => {
  const schools = Array.from({ length: 12 }, () => signupBody('Clone School'));
  const responses = await Promise.all(
    schools.map((s) => request(svc.app).post('/users').send(s.request)),
  );

  expect(responses.map((r) => r.status)).toEqual(schools.map(() => 201));
  // No "source database is being accessed by other users": nothing fell back to migrating.
  expect(svc.logs.text()).not.toContain('cloning the tenant template failed');
  const attempted = schools.map((s) => s.dbName);
  const ready = await expectConsistent({ ...svc, attempted });
  expect(ready).toEqual(expect.arrayContaining(attempted));
});
