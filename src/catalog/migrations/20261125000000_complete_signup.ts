import type { Knex } from 'knex';

/**
 * `catalog.complete_signup(...)`: the last step of a signup as one statement, so one
 * transaction and one round trip. The row turns `ready` (only if still `provisioning`: the
 * reconciler may have rolled the signup back), the staging database takes the school's name
 * and its ownership marker, the user is recorded in catalog.users and the `user.new` event
 * written to catalog.outbox. All of it happens or none does; and once the statement reached
 * PostgreSQL, it completes even if the service dies waiting for the answer.
 *
 * Names arrive as text and are quoted with format('%I'), the marker with '%L'; the caller
 * has already checked them against the naming rule.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION catalog.complete_signup(
      p_school_id uuid,
      p_staging text,
      p_db_name text,
      p_marker text,
      p_migration_version text,
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
      UPDATE catalog.schools
         SET status = 'ready', auth0_user_id = p_user_id, migration_version = p_migration_version,
             migrated_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
       WHERE id = p_school_id AND status = 'provisioning';
      IF NOT FOUND THEN
        RAISE EXCEPTION 'school % is no longer provisioning', p_school_id
          USING ERRCODE = 'no_data_found';
      END IF;
      EXECUTE format('ALTER DATABASE %I RENAME TO %I', p_staging, p_db_name);
      EXECUTE format('COMMENT ON DATABASE %I IS %L', p_db_name, p_marker);
      INSERT INTO catalog.users (user_id, email, connection, strategy, school_id)
      VALUES (p_user_id, p_email, p_connection, 'auth0', p_school_id)
      ON CONFLICT (user_id) DO UPDATE
        SET email = EXCLUDED.email, connection = EXCLUDED.connection,
            strategy = EXCLUDED.strategy, school_id = EXCLUDED.school_id, updated_at = now();
      INSERT INTO catalog.outbox (id, type, payload, created_at)
      VALUES (p_event_id, p_event_type, p_event_payload, p_event_at);
      PERFORM pg_notify(p_channel, p_event_id::text);
    END
    $fn$
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'DROP FUNCTION catalog.complete_signup(uuid, text, text, text, text, text, text, text, uuid, text, jsonb, timestamptz, text)',
  );
}
