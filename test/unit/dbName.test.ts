import { assertTenantDbName, DB_NAME_PATTERN, slugify, toDbName } from '../../src/tenants/dbName';

const name = (school: string, reserved?: Set<string>) => {
  const r = toDbName(school, reserved);
  return r.ok ? r.dbName : r.reason;
};

describe('tenant database naming rule', () => {
  test.each([
    ['Springfield Elementary', 'springfield_elementary'],
    ['  springfield   ELEMENTARY ', 'springfield_elementary'],
    ['École Sainte-Marie', 'ecole_sainte_marie'],
    ["St. Mary's Academy", 'st_marys_academy'],
    ['Straße der Schule', 'strasse_der_schule'],
    ['Łódź High', 'lodz_high'],
    ['Школа 42', 'shkola_42'],
    ['Robert"); DROP TABLE students;--', 'robert_drop_table_students'],
    ['tab\tand\nnewline', 'tab_and_newline'],
    ['🏫 Sunny Side 🌞', 'sunny_side'],
    ['1st Academy', '1st_academy'],
  ])('%j becomes %j', (school, expected) => {
    expect(name(school)).toBe(expected);
  });

  test.each(['!!!', '🏫🎒', '   ', '""', "'; --"])(
    'a school name with nothing transliterable (%j) is refused as empty',
    (school) => {
      expect(toDbName(school)).toEqual({ ok: false, reason: 'empty' });
    },
  );

  test.each([
    ['Postgres', undefined],
    ['template0', undefined],
    ['TEMPLATE1', undefined],
    ['pg_catalog', undefined],
    ['Signup Catalog', new Set(['signup_catalog'])],
  ])(
    'the school name %j is refused as reserved (system, pg_ or configured name)',
    (school, reserved) => {
      expect(toDbName(school, reserved)).toEqual({ ok: false, reason: 'reserved' });
    },
  );

  test('long names stay within 63 bytes and distinct when they share a long prefix', () => {
    const prefix = 'The Very Long Name Of A School '.repeat(10);
    const a = name(`${prefix} North`);
    const b = name(`${prefix} South`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).toMatch(DB_NAME_PATTERN);
    expect(a).not.toBe(b);
    expect(name(`${prefix} North`)).toBe(a); // deterministic
  });

  test.each([
    ['a single letter', 'a'],
    ['a hyphenated pair', 'A-B'],
    ['500 letters', 'x'.repeat(500)],
    ['Nordic letters', 'ÆØÅ'],
    ['Chinese characters', '東京学校'],
    ['a combining accent', 'a\u0301b'],
    ['a ligature', 'ﬁne'],
  ])('a school name of %s is accepted as a name matching the identifier pattern', (_, school) => {
    expect(toDbName(school)).toEqual({ ok: true, dbName: expect.stringMatching(DB_NAME_PATTERN) });
  });

  test('slugify transliterates accented letters to plain ASCII', () => {
    expect(slugify('Ünïcödé')).toBe('unicode');
  });

  test('assertTenantDbName lets a name that follows the rule through', () => {
    expect(() => assertTenantDbName('ok_name')).not.toThrow();
  });

  test.each([
    ['an empty name', ''],
    ['an upper-case name', 'Upper'],
    ['a name with a space', 'has space'],
    ['a name with a semicolon', 'semi;colon'],
    ['a name with a double quote', 'quote"'],
    ['a 64-character name', 'x'.repeat(64)],
    ['a system database’s name', 'postgres'],
    ['a name with the pg_ prefix', 'pg_x'],
  ])('assertTenantDbName refuses %s before it reaches SQL', (_, bad) => {
    expect(() => assertTenantDbName(bad)).toThrow(/Refusing/);
  });
});
