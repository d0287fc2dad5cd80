import type { Knex } from 'knex';

/**
 * Tenants on more than one server (docs/multi-server.md). `catalog.tenant_moves`: the journal of a tenant being moved to another server, one row per
 * school while the move runs. `state` says how far it got — `copying` (the source is the
 * tenant, the target a copy in the making) or `switched` (the catalog points at the target;
 * the source is left to drop) — and `owner_key` which process runs it, so the reconciler can
 * finish or undo the move of a process that died.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE catalog.tenant_moves (
      school_id   uuid PRIMARY KEY REFERENCES catalog.schools (id) ON DELETE CASCADE,
      from_server text NOT NULL REFERENCES catalog.database_servers (name),
      to_server   text NOT NULL REFERENCES catalog.database_servers (name),
      state       text NOT NULL DEFAULT 'copying' CHECK (state IN ('copying', 'switched')),
      owner_key   integer NOT NULL,
      started_at  timestamptz NOT NULL DEFAULT now(),
      CHECK (from_server <> to_server)
    )
  `);
  // Placement counts each server's tenants on every signup.
  await knex.raw('CREATE INDEX schools_server_idx ON catalog.schools (server)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX catalog.schools_server_idx');
  await knex.raw('DROP TABLE catalog.tenant_moves');
}
