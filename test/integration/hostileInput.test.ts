import request from 'supertest';
import { DB_NAME_PATTERN } from '../../src/tenants/dbName';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

/**
 * Request text is an attack surface into SQL (the school name becomes a database name).
 * Whatever arrives, the answer is 2xx or 4xx, every database created follows the naming
 * rule, and no system or existing database changes.
 */

jest.setTimeout(120_000);

let svc: TestService;
let catalogDb: string;

beforeAll(async () => {
  svc = await startTestService();
  catalogDb = new URL(svc.catalogUrl).pathname.slice(1);
});
afterAll(async () => {
  await svc.close();
});

const databases = async (): Promise<{ datname: string; oid: number }[]> =>
  svc.admin('pg_database').select('datname', 'oid');

test('a battery of hostile school names and bodies yields only 2xx/4xx and only rule-abiding new databases', async () => {
  const before = await databases();
  const id = uniqueSuffix();
  const names = [
    `Robert'); DROP DATABASE postgres; -- ${id}`,
    `"; DROP TABLE catalog.schools; -- ${id}`,
    `x" WITH TEMPLATE template0 ${id}`,
    `School\u0000Null ${id}`,
    `Tab\tSchool ${id}`,
    `🏫🎒📚`,
    `!!!---???`,
    'postgres',
    'template1',
    'TEMPLATE0',
    'pg_catalog',
    catalogDb,
    catalogDb.toUpperCase().replace(/_/g, ' '),
    `signup_tmp_${id}`,
    `École Sainte-Marie ${id}`,
    `${'Very Long School Name '.repeat(14)}${id}`.slice(0, 200),
    `${'Ünïcödé '.repeat(30)}`.slice(0, 199) + id,
    `東京インターナショナルスクール ${id}`,
    `$(rm -rf /) \`whoami\` ${id}`,
    `%s%s%n ${id}`,
    `../../etc/passwd ${id}`,
    `a ${id}`,
  ];
  const bodies: unknown[] = [
    ...names.map((schoolName, i) => ({
      email: `h${i}.${id}@school.test`,
      password: 'Sup3r-secret',
      schoolName,
    })),
    { email: ['a@b.c'], password: { $gt: '' }, schoolName: ['x'] },
    { email: `z.${id}@school.test`, password: 'Sup3r-secret', schoolName: 'x'.repeat(300) },
    { constructor: { prototype: { polluted: true } }, email: 'x', password: 'y', schoolName: 'z' },
    [],
  ];

  const created: string[] = [];
  for (const body of bodies) {
    const res = await request(svc.app)
      .post('/users')
      .send(body as object);
    expect({ body, status: res.status < 500 }).toEqual({ body, status: true });
    if (res.status === 201) created.push(res.body.school.dbName as string);
  }
  const raw = [
    '42',
    '{"email":',
    '{"__proto__":{"admin":true}}',
    'null',
    '"string"',
    '{"a":1}'.repeat(2000),
  ];
  for (const text of raw) {
    const res = await request(svc.app)
      .post('/users')
      .set('content-type', 'application/json')
      .send(text);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  }

  const after = await databases();
  const beforeByName = new Map(before.map((d) => [d.datname, d.oid]));
  // Every database that was there is still there, unchanged (same oid: not dropped and re-created).
  for (const d of before) expect(after.find((a) => a.datname === d.datname)?.oid).toBe(d.oid);
  const added = after.filter((d) => !beforeByName.has(d.datname)).map((d) => d.datname);
  expect(added.sort()).toEqual([...created].sort());
  for (const name of added) {
    expect(name).toMatch(DB_NAME_PATTERN);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  }
  expect(created).toEqual(expect.arrayContaining([`ecole_sainte_marie_${id}`]));
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
  // The catalog table survived every attempt.
  expect(await svc.catalogDb('catalog.schools').count({ n: '*' }).first()).toEqual({
    n: String(created.length),
  });
});
