import type { Knex } from 'knex';

/**
 * `catalog.complete_signup(signup jsonb)`: the last step of a signup, readable in one place.
 * One statement, so one transaction and one round trip: the row turns `ready` (only if still
 * `provisioning`: the reconciler may have rolled the signup back), the staging database takes
 * the school's name and its ownership marker (a tenant on the catalog's own server; one on
 * another server was renamed there first), the user is recorded in catalog.users and the
 * `user.new` event written to catalog.outbox. All of it happens or none does; and once the
 * statement reached PostgreSQL, it completes even if the service dies waiting for the answer.
 *
 * It takes one JSON object (CompleteSignup in src/catalog/completeSignup.ts) instead of
 * fourteen positional parameters. Names arrive as text and are quoted with format('%I'), the
 * marker with '%L'; the caller has already checked them against the naming rule.
 *
 * The positional versions it replaces (20261125000000, 20261126000000) stay, untouched, only
 * so that servers of earlier releases keep completing signups during a rolling deploy; this
 * release never calls them, and a later migration may drop them once no such server runs.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION catalog.complete_signup(signup jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
    DECLARE
      school_id uuid := (signup->>'schoolId')::uuid;
      event jsonb := signup->'event';
    BEGIN
      UPDATE catalog.schools
         SET status = 'ready', auth0_user_id = signup->>'userId',
             migration_version = signup->>'migrationVersion', migration_set = signup->>'migrationSet',
             migrated_at = now(), last_error = NULL, last_error_at = NULL, updated_at = now()
       WHERE id = school_id AND status = 'provisioning';
      IF NOT FOUND THEN
        RAISE EXCEPTION 'school % is no longer provisioning', school_id
          USING ERRCODE = 'no_data_found';
      END IF;
      -- A tenant on another server was renamed there before (a catalog transaction cannot
      -- reach another server); one on this server is renamed here, with everything else.
      IF signup->>'staging' IS NOT NULL THEN
        EXECUTE format('ALTER DATABASE %I RENAME TO %I', signup->>'staging', signup->>'dbName');
        EXECUTE format('COMMENT ON DATABASE %I IS %L', signup->>'dbName', signup->>'marker');
      END IF;
      INSERT INTO catalog.users (user_id, email, connection, strategy, school_id)
      VALUES (signup->>'userId', signup->>'email', signup->>'connection', 'auth0', school_id)
      ON CONFLICT (user_id) DO UPDATE
        SET email = EXCLUDED.email, connection = EXCLUDED.connection,
            strategy = EXCLUDED.strategy, school_id = EXCLUDED.school_id, updated_at = now();
      INSERT INTO catalog.outbox (id, type, payload, created_at)
      VALUES ((event->>'id')::uuid, event->>'type', event, (event->>'occurredAt')::timestamptz);
      PERFORM pg_notify(signup->>'channel', event->>'id');
    END
    $fn$
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION catalog.complete_signup(jsonb)');
}
