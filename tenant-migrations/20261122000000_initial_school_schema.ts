import type { Knex } from 'knex';

/** A school's lunch-ordering app: students order from a weekly menu. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('students', (t) => {
    t.bigIncrements('id');
    t.text('first_name').notNullable();
    t.text('last_name').notNullable();
    t.text('grade');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamps(true, true);
  });

  await knex.schema.createTable('menu_items', (t) => {
    t.bigIncrements('id');
    t.text('name').notNullable();
    t.text('description');
    t.integer('price_cents').notNullable().checkPositive();
    t.boolean('vegetarian').notNullable().defaultTo(false);
    t.specificType('allergens', 'text[]').notNullable().defaultTo('{}');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamps(true, true);
  });

  await knex.schema.createTable('lunch_weeks', (t) => {
    t.bigIncrements('id');
    t.date('starts_on').notNullable().unique();
    t.boolean('published').notNullable().defaultTo(false);
    t.timestamps(true, true);
  });

  // Which dishes are offered on which weekday (1 = Monday … 5 = Friday) of a week.
  await knex.schema.createTable('lunch_week_items', (t) => {
    t.bigInteger('lunch_week_id').notNullable().references('lunch_weeks.id').onDelete('CASCADE');
    t.bigInteger('menu_item_id').notNullable().references('menu_items.id');
    t.smallint('weekday').notNullable();
    t.primary(['lunch_week_id', 'menu_item_id', 'weekday']);
    t.check('?? BETWEEN 1 AND 5', ['weekday']);
  });

  await knex.schema.createTable('orders', (t) => {
    t.bigIncrements('id');
    t.bigInteger('student_id').notNullable().references('students.id').onDelete('CASCADE');
    t.bigInteger('lunch_week_id').notNullable().references('lunch_weeks.id');
    t.bigInteger('menu_item_id').notNullable().references('menu_items.id');
    t.smallint('weekday').notNullable();
    t.smallint('quantity').notNullable().defaultTo(1);
    t.timestamps(true, true);
    t.unique(['student_id', 'lunch_week_id', 'weekday']);
    t.check('?? BETWEEN 1 AND 5', ['weekday']);
    t.check('?? > 0', ['quantity']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['orders', 'lunch_week_items', 'lunch_weeks', 'menu_items', 'students']) {
    await knex.schema.dropTable(table);
  }
}
