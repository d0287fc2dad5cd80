import type { Knex } from 'knex';

/**
 * `catalog.signup_tombstones`: what a rolled-back signup leaves so that an Auth0 create still
 * in flight when it was rolled back cannot leave a user behind. A request already sent is
 * not cancelled by the death of its sender: Auth0 may store the user seconds later, so "no
 * user yet" right after a crash means "not yet". Each tombstone is checked again on a
 * schedule (`next_check_at`) until `expires_at` (RECONCILE_HORIZON_SECONDS after the
 * rollback), and any user carrying its signup id is deleted.
 *
 * No unique index on the email or the name: a tombstone never blocks a new signup of the
 * same school or address (its user carries another signup id).
 *
 * `catalog.background_jobs`: when a periodic job shared by every server last started (the
 * Auth0 sweep), so N servers run it once per interval between them, not N times.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.withSchema('catalog').createTable('signup_tombstones', (t) => {
    t.uuid('signup_id').primary();
    t.text('email').notNullable();
    t.text('db_name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('next_check_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('checks').notNullable().defaultTo(0);
    t.text('last_error');
  });
  await knex.raw(
    'CREATE INDEX signup_tombstones_next_check_idx ON catalog.signup_tombstones (next_check_at)',
  );
  await knex.schema.withSchema('catalog').createTable('background_jobs', (t) => {
    t.text('name').primary();
    t.timestamp('last_started_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.withSchema('catalog').dropTable('background_jobs');
  await knex.schema.withSchema('catalog').dropTable('signup_tombstones');
}
