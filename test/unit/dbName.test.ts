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

  test('names with nothing transliterable are refused as empty', () => {
    expect(name('!!!')).toBe('empty');
    expect(name('🏫🎒')).toBe('empty');
    expect(name('   ')).toBe('empty');
  });

  test('system databases, pg_ names and configured names are refused as reserved', () => {
    expect(name('Postgres')).toBe('reserved');
    expect(name('template0')).toBe('reserved');
    expect(name('TEMPLATE1')).toBe('reserved');
    expect(name('pg_catalog')).toBe('reserved');
    expect(name('Signup Catalog', new Set(['signup_catalog']))).toBe('reserved');
  });

  test('long names stay within 63 bytes and distinct when they share a long prefix', () => {
    const prefix = 'The Very Long Name Of A School '.repeat(10);
    const a = name(`${prefix} North`);
    const b = name(`${prefix} South`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(63);
    expect(a).toMatch(DB_NAME_PATTERN);
    expect(a).not.toBe(b);
    expect(name(`${prefix} North`)).toBe(a); // deterministic
  });

  test('every result matches the identifier pattern, whatever the input', () => {
    const samples = [
      'a',
      'A-B',
      'x'.repeat(500),
      '""',
      "'; --",
      'ÆØÅ',
      '東京学校',
      'a\u0301b',
      'ﬁne',
    ];
    for (const s of samples) {
      const r = toDbName(s);
      if (r.ok) expect(r.dbName).toMatch(DB_NAME_PATTERN);
    }
    expect(slugify('Ünïcödé')).toBe('unicode');
  });

  test('assertTenantDbName refuses anything outside the rule before it reaches SQL', () => {
    expect(() => assertTenantDbName('ok_name')).not.toThrow();
    for (const bad of [
      '',
      'Upper',
      'has space',
      'semi;colon',
      'quote"',
      'x'.repeat(64),
      'postgres',
      'pg_x',
    ]) {
      expect(() => assertTenantDbName(bad)).toThrow(/Refusing/);
    }
  });
});
