import type { Knex } from 'knex';

/**
 * The catalog: one row per school, reserved before any external call so that the unique
 * constraints, not application code, decide who wins a race for a name or an email.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE SCHEMA IF NOT EXISTS catalog');
  await knex.schema.withSchema('catalog').createTable('schools', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('db_name').notNullable().unique({ indexName: 'schools_db_name_unique' });
    t.text('email').notNullable().unique({ indexName: 'schools_email_unique' });
    t.text('auth0_user_id').unique({ indexName: 'schools_auth0_user_id_unique' });
    t.text('status').notNullable().defaultTo('provisioning');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    ALTER TABLE catalog.schools
      ADD CONSTRAINT schools_status_check CHECK (status IN ('provisioning', 'ready', 'failed')),
      ADD CONSTRAINT schools_db_name_check CHECK (db_name ~ '^[a-z0-9_]{1,63}$'),
      ADD CONSTRAINT schools_email_lower_check CHECK (email = lower(email))
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.withSchema('catalog').dropTable('schools');
  await knex.raw('DROP SCHEMA IF EXISTS catalog');
}
