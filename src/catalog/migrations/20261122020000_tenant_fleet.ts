import type { Knex } from 'knex';

/**
 * Fleet bookkeeping. `migration_version` lets a deploy recognise up-to-date tenants from the
 * catalog alone, without opening a connection per tenant. `database_servers` and
 * `schools.server` record where each tenant lives, so a second PostgreSQL server can be added
 * later without a data migration (docs/multi-server.md). Today there is one server,
 * `default`: the catalog's own.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.withSchema('catalog').createTable('database_servers', (t) => {
    t.text('name').primary();
    t.text('description').notNullable().defaultTo('');
    t.boolean('accepts_new_tenants').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex('catalog.database_servers').insert({
    name: 'default',
    description: "The catalog database's own server",
  });
  await knex.schema.withSchema('catalog').alterTable('schools', (t) => {
    t.text('server')
      .notNullable()
      .defaultTo('default')
      .references('name')
      .inTable('catalog.database_servers');
    t.text('migration_version');
    t.timestamp('migrated_at', { useTz: true });
  });
  await knex.raw(
    'CREATE INDEX schools_migration_version_idx ON catalog.schools (migration_version)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX catalog.schools_migration_version_idx');
  await knex.schema.withSchema('catalog').alterTable('schools', (t) => {
    t.dropColumns('server', 'migration_version', 'migrated_at');
  });
  await knex.schema.withSchema('catalog').dropTable('database_servers');
}
