import request from 'supertest';
import { DB_NAME_PATTERN, toDbName } from '../../src/tenants/dbName';
import { signupBody } from '../helpers/signupData';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

/**
 * Request text is an attack surface into SQL (the school name becomes a database name).
 * Whatever arrives, the answer is 2xx or 4xx and no system or existing database changes: a
 * name the naming rule accepts gets 201 and exactly the database the rule names, anything
 * else a 4xx and nothing. One test per input, so a failure says which input it was.
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

/** Makes the names below this run's own, so no case meets a school an earlier run left. */
const id = uniqueSuffix();

type Database = { datname: string; oid: number };
const databases = async (): Promise<Database[]> =>
  svc.admin('pg_database').select('datname', 'oid');
const schoolCount = async () =>
  Number((await svc.catalogDb('catalog.schools').count({ n: '*' }).first())?.n);

/** The databases that appeared since `before`, after checking that none of those changed. */
async function newDatabasesSince(before: Database[]): Promise<string[]> {
  const after = await databases();
  // Every database that was there is still there, unchanged (same oid: not dropped and re-created).
  for (const d of before) expect(after.find((a) => a.datname === d.datname)?.oid).toBe(d.oid);
  const existed = new Set(before.map((d) => d.datname));
  return after.filter((d) => !existed.has(d.datname)).map((d) => d.datname);
}

function expectNoPrototypePollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
}

/** The naming rule's database name for a school name the rule accepts. */
function ruleDbName(schoolName: string): string {
  const name = toDbName(schoolName);
  if (!name.ok) throw new Error(`the naming rule refuses ${JSON.stringify(schoolName)}`);
  return name.dbName;
}

const accepted = (label: string, schoolName: string) => ({
  label,
  schoolName,
  dbName: ruleDbName(schoolName),
});

describe('hostile school names the service accepts', () => {
  test.each([
    accepted(
      'a school name with an SQL statement after a closing quote',
      `Robert'); DROP DATABASE postgres; -- ${id}`,
    ),
    accepted(
      'a school name with an identifier quote and a DROP TABLE',
      `"; DROP TABLE catalog.schools; -- ${id}`,
    ),
    accepted(
      'a school name with an identifier quote and a WITH TEMPLATE clause',
      `x" WITH TEMPLATE template0 ${id}`,
    ),
    // Pinned in words as well as by the rule: accents are transliterated end to end.
    {
      label: 'a school name with accents',
      schoolName: `École Sainte-Marie ${id}`,
      dbName: `ecole_sainte_marie_${id}`,
    },
    accepted(
      'a school name of 200 characters (a slug past 63 bytes)',
      `${'Very Long School Name '.repeat(14)}${id}`.slice(0, 200),
    ),
    accepted('a school name in Japanese script', `東京インターナショナルスクール ${id}`),
    accepted('a school name with shell substitutions', `$(rm -rf /) \`whoami\` ${id}`),
    accepted('a school name with format specifiers', `%s%s%n ${id}`),
    accepted('a school name with a path traversal', `../../etc/passwd ${id}`),
    accepted('a school name of a one-letter word', `a ${id}`),
  ])(
    '$label: 201, and its only new database is the one the naming rule gives',
    async ({ schoolName, dbName }) => {
      const before = await databases();
      const schoolsBefore = await schoolCount();

      const res = await request(svc.app)
        .post('/users')
        .send({ ...signupBody('Hostile').request, schoolName });

      expect(res.status).toBe(201);
      expect(res.body.school.dbName).toBe(dbName);
      expect(await newDatabasesSince(before)).toEqual([dbName]);
      expect(dbName).toMatch(DB_NAME_PATTERN);
      expect(Buffer.byteLength(dbName)).toBeLessThanOrEqual(63);
      // The catalog table survived, with one row more.
      expect(await schoolCount()).toBe(schoolsBefore + 1);
      expectNoPrototypePollution();
    },
  );
});

/** A valid signup but for its school name (a function: the catalog's name is known later). */
const withSchoolName = (label: string, schoolName: () => string) => ({
  label,
  body: (): unknown => ({ ...signupBody('Hostile').request, schoolName: schoolName() }),
});

describe('hostile school names and bodies the service refuses', () => {
  test.each([
    withSchoolName('a school name with a NUL character', () => `School\u0000Null ${id}`),
    withSchoolName('a school name with a tab', () => `Tab\tSchool ${id}`),
    withSchoolName('a school name of emoji only', () => '🏫🎒📚'),
    withSchoolName('a school name of punctuation only', () => '!!!---???'),
    withSchoolName('the school name postgres', () => 'postgres'),
    withSchoolName('the school name template1', () => 'template1'),
    withSchoolName('the school name TEMPLATE0', () => 'TEMPLATE0'),
    withSchoolName('the school name pg_catalog', () => 'pg_catalog'),
    withSchoolName('the catalog database’s name as school name', () => catalogDb),
    withSchoolName('the catalog database’s name in capitals and spaces', () =>
      catalogDb.toUpperCase().replace(/_/g, ' '),
    ),
    withSchoolName('a school name with the staging prefix signup_tmp_', () => `signup_tmp_${id}`),
    withSchoolName(
      'a school name of 207 accented characters',
      () => `${'Ünïcödé '.repeat(30)}`.slice(0, 199) + id,
    ),
    withSchoolName('a school name of 300 characters', () => 'x'.repeat(300)),
    {
      label: 'a body of arrays and a query operator instead of text',
      body: () => ({ email: ['a@b.c'], password: { $gt: '' }, schoolName: ['x'] }),
    },
    {
      label: 'a body with a constructor.prototype key',
      body: () => ({
        constructor: { prototype: { polluted: true } },
        email: 'x',
        password: 'y',
        schoolName: 'z',
      }),
    },
    { label: 'a body that is an empty array', body: () => [] },
  ])('$label: 4xx, no new database or catalog row, nothing polluted', async ({ body }) => {
    const before = await databases();
    const schoolsBefore = await schoolCount();

    const res = await request(svc.app)
      .post('/users')
      .send(body() as object);

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await newDatabasesSince(before)).toEqual([]);
    expect(await schoolCount()).toBe(schoolsBefore);
    expectNoPrototypePollution();
  });
});

describe('hostile raw request bodies', () => {
  test.each([
    ['a raw body of a bare number', '42'],
    ['a raw body of truncated JSON', '{"email":'],
    ['a raw body with a __proto__ key', '{"__proto__":{"admin":true}}'],
    ['a raw body of JSON null', 'null'],
    ['a raw body of a JSON string', '"string"'],
    ['a raw body of 2000 objects run together', '{"a":1}'.repeat(2000)],
  ])('%s: 4xx, no new database or catalog row, nothing polluted', async (_label, text) => {
    const before = await databases();
    const schoolsBefore = await schoolCount();

    const res = await request(svc.app)
      .post('/users')
      .set('content-type', 'application/json')
      .send(text);

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await newDatabasesSince(before)).toEqual([]);
    expect(await schoolCount()).toBe(schoolsBefore);
    expectNoPrototypePollution();
  });
});
