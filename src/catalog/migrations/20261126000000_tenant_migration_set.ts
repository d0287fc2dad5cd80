import type { Knex } from 'knex';

/**
 * `catalog.schools.migration_set`: the fingerprint of the set of tenant migrations a tenant
 * was brought to (TenantSchema in src/tenants/tenantMigrationSet.ts). The version alone
 * missed a migration merged with an older timestamp than the newest one: every tenant
 * looked up to date. Rows from before have none and are checked once by the next migrate.
 *
 * complete_signup gains a p_migration_set parameter as a new overload; the old one stays,
 * so servers of the previous release keep completing signups during a rolling deploy
 * (their tenants, without a set, are checked by the next migrate).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE catalog.schools ADD COLUMN migration_set text');
  await knex.raw(`
    CREATE FUNCTION catalog.complete_signup(
      p_school_id uuid,
      p_staging text,
      p_db_name text,
      p_marker text,
      p_migration_version text,
      p_migration_set text,
      p_user_id text,
      p_email text,
      p_connection text,
      p_event_id uuid,
      p_event_type text,
      p_event_payload jsonb,
      p_event_at timestamptz,
      p_channel text
    ) RETURNS void LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM catalog.complete_signup(p_school_id, p_staging, p_db_name, p_marker,
        p_migration_version, p_user_id, p_email, p_connection, p_event_id, p_event_type,
        p_event_payload, p_event_at, p_channel);
      UPDATE catalog.schools SET migration_set = p_migration_set WHERE id = p_school_id;
    END
    $fn$
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'DROP FUNCTION catalog.complete_signup(uuid, text, text, text, text, text, text, text, text, uuid, text, jsonb, timestamptz, text)',
  );
  await knex.raw('ALTER TABLE catalog.schools DROP COLUMN migration_set');
}
