import type { Knex } from 'knex';

/**
 * Signup extension points.
 *
 * `catalog.users`: every user we know — signups (linked to their school, written in the
 * transaction that makes the school ready) and users the Auth0 post-login Action reports
 * (social users have no school).
 *
 * `catalog.outbox`: a transactional outbox. A `user.new` event is written in the same
 * transaction as its school becoming ready, so it exists exactly when the tenant does. Each
 * consumer has its own columns (`publish_*` for RabbitMQ, `notify_*` for the webhook), so
 * one being down never holds the other back; a row is claimed with FOR UPDATE SKIP LOCKED.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE catalog.users (
      user_id    text PRIMARY KEY,
      email      text NOT NULL,
      connection text,
      strategy   text,
      school_id  uuid REFERENCES catalog.schools (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )
  `);
  await knex.raw('CREATE INDEX users_school_id_idx ON catalog.users (school_id)');
  await knex.raw('CREATE INDEX users_email_idx ON catalog.users (lower(email))');

  await knex.raw(`
    CREATE TABLE catalog.outbox (
      id                 uuid PRIMARY KEY,
      type               text NOT NULL,
      payload            jsonb NOT NULL,
      created_at         timestamptz NOT NULL DEFAULT now(),
      published_at       timestamptz,
      publish_attempts   integer NOT NULL DEFAULT 0,
      publish_next_at    timestamptz NOT NULL DEFAULT now(),
      publish_last_error text,
      notified_at        timestamptz,
      notify_attempts    integer NOT NULL DEFAULT 0,
      notify_next_at     timestamptz NOT NULL DEFAULT now(),
      notify_last_error  text
    )
  `);
  await knex.raw(
    'CREATE INDEX outbox_unpublished_idx ON catalog.outbox (publish_next_at) WHERE published_at IS NULL',
  );
  await knex.raw(
    'CREATE INDEX outbox_unnotified_idx ON catalog.outbox (notify_next_at) WHERE notified_at IS NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE catalog.outbox');
  await knex.raw('DROP TABLE catalog.users');
}
