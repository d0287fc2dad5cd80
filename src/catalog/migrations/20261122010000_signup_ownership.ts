import type { Knex } from 'knex';

/**
 * Crash safety. Every reservation records which running process owns it (`owner_key`, a
 * session advisory lock that process holds); the reconciler only finishes reservations whose
 * owner is gone. `last_error` keeps why a signup or a compensation failed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE SEQUENCE catalog.owner_key_seq AS integer CYCLE');
  await knex.schema.withSchema('catalog').alterTable('schools', (t) => {
    t.integer('owner_key');
    t.text('last_error');
    t.timestamp('last_error_at', { useTz: true });
  });
  await knex.raw(
    "CREATE INDEX schools_unfinished_idx ON catalog.schools (status) WHERE status <> 'ready'",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX catalog.schools_unfinished_idx');
  await knex.schema.withSchema('catalog').alterTable('schools', (t) => {
    t.dropColumns('owner_key', 'last_error', 'last_error_at');
  });
  await knex.raw('DROP SEQUENCE catalog.owner_key_seq');
}
