import type { Knex } from 'knex';

const TABLES = ['students', 'menu_items', 'lunch_weeks', 'orders'];

/**
 * The school's API names rows by a random `public_id`, not by the serial `id`: serial ids
 * repeat from school to school (every tenant is a clone of one template), so school A's
 * student 7 and school B's student 7 would both answer to /api/students/7. A uuid makes
 * another school's id mean nothing here, and counts nothing (how many students exist).
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.raw(
      `ALTER TABLE ?? ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE`,
      [table],
    );
  }
  // GET /api/orders?week=… lists one week's orders.
  await knex.raw('CREATE INDEX orders_lunch_week_idx ON orders (lunch_week_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX orders_lunch_week_idx');
  for (const table of TABLES) await knex.raw('ALTER TABLE ?? DROP COLUMN public_id', [table]);
}
