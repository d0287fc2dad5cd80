import { withKnex } from '../../src/db/knexFactory';

/**
 * A school's data, for tests that move it: students, a menu, two weeks and an order per
 * student, linked by foreign keys, so a copy that lost a row or broke an id would show.
 */
export async function seedTenant(url: string, students: number): Promise<void> {
  await withKnex(url, { pool: { min: 0, max: 1 } }, async (db) => {
    await db.raw(
      `INSERT INTO students (first_name, last_name, grade)
       SELECT 'First ' || i, 'Last ' || i, (i % 6 + 1)::text FROM generate_series(1, ?) i`,
      [students],
    );
    await db.raw(
      `INSERT INTO menu_items (name, price_cents, vegetarian, allergens)
       SELECT 'Dish ' || i, 300 + i, i % 2 = 0, ARRAY['nuts'] FROM generate_series(1, 10) i`,
    );
    await db.raw(
      "INSERT INTO lunch_weeks (starts_on, published) VALUES ('2027-01-04', true), ('2027-01-11', false)",
    );
    await db.raw(
      `INSERT INTO lunch_week_items (lunch_week_id, menu_item_id, weekday)
       SELECT w.id, m.id, 1 + (m.id % 5) FROM lunch_weeks w CROSS JOIN menu_items m`,
    );
    await db.raw(
      `INSERT INTO orders (student_id, lunch_week_id, menu_item_id, weekday)
       SELECT s.id, (SELECT min(id) FROM lunch_weeks), (SELECT min(id) FROM menu_items), 1
         FROM students s`,
    );
  });
}

/** Every table's row count and a hash of its rows, and where the students' sequence is. */
export async function fingerprint(url: string): Promise<Record<string, string>> {
  return withKnex(url, { pool: { min: 0, max: 1 } }, async (db) => {
    const print: Record<string, string> = {};
    for (const table of ['students', 'menu_items', 'lunch_weeks', 'lunch_week_items', 'orders']) {
      const { rows } = await db.raw<{ rows: { n: string; hash: string | null }[] }>(
        `SELECT count(*)::text AS n, md5(string_agg(t::text, ',' ORDER BY t::text)) AS hash FROM ${table} t`,
      );
      print[table] = `${rows[0]!.n}:${rows[0]!.hash ?? ''}`;
    }
    // The sequence moves too: the next student must get a new id, not one already taken.
    const { rows } = await db.raw<{ rows: { at: string }[] }>(
      "SELECT last_value || ':' || is_called AS at FROM students_id_seq",
    );
    print.studentsSequence = rows[0]!.at;
    return print;
  });
}
