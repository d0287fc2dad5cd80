import type { Knex } from 'knex';

/**
 * Every change that can stop a school being served where it was — a status change, a move to
 * another server, the row deleted — sends NOTIFY school_changed with its db_name, from
 * whichever process made it (the server, the tenants CLI, the reconciler). The school's API
 * caches lookups and pools per school; this is how a deleted or moved school is forgotten at
 * once rather than when a cache entry expires. A trigger, not calls in each use case: no path
 * that changes a school can forget to send it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION catalog.notify_school_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('school_changed', OLD.db_name);
      RETURN NULL;
    END
    $$
  `);
  await knex.raw(`
    CREATE TRIGGER schools_changed
    AFTER UPDATE OF status, server, db_name OR DELETE ON catalog.schools
    FOR EACH ROW EXECUTE FUNCTION catalog.notify_school_changed()
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER schools_changed ON catalog.schools');
  await knex.raw('DROP FUNCTION catalog.notify_school_changed()');
}
