import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * Copies a tenant's rows into a database at the same schema on another server: every table
 * streamed with COPY (source `COPY … TO STDOUT` piped into target `COPY … FROM STDIN`), in
 * foreign-key order, inside one target transaction, then every sequence set where the
 * source's stands. Nothing passes through a file or through JavaScript objects, so memory
 * stays flat whatever the tenant's size, and PostgreSQL versions may differ (17 → 15: `COPY`
 * text format is what both speak; `pg_dump` 15 refuses a 17 server).
 *
 * The schema is not copied: the target was made at the tenant's migration version (a clone
 * of the target's template), and knex's bookkeeping tables must agree, or nothing happens.
 */

/** knex's bookkeeping: the target already has its own, at the same version. */
const BOOKKEEPING = new Set(['public.knex_migrations', 'public.knex_migrations_lock']);

export interface CopyReport {
  tables: number;
  rows: number;
}

export async function copyTenantData(sourceUrl: string, targetUrl: string): Promise<CopyReport> {
  const source = connect(sourceUrl, 'tenant-signup move (source)');
  const target = connect(targetUrl, 'tenant-signup move (target)');
  try {
    await Promise.all([source.connect(), target.connect()]);
    // One snapshot for every table: a consistent copy even if a writer slipped in.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await target.query('BEGIN');
    const [sourceMigrations, targetMigrations] = await Promise.all(
      [source, target].map(appliedMigrations),
    );
    if (sourceMigrations !== targetMigrations) {
      throw new Error('the target database is not at the tenant schema version; nothing copied');
    }
    const tables = await tablesInDependencyOrder(source);
    // A template may hold rows of its own (a seeding migration): the copy replaces them.
    if (tables.length > 0) await target.query(`TRUNCATE ${tables.join(', ')}`);
    let rows = 0;
    for (const table of tables) {
      const into = target.query(copyFrom(`COPY ${table} FROM STDIN`));
      await pipeline(source.query(copyTo(`COPY ${table} TO STDOUT`)), into);
      rows += into.rowCount;
    }
    await copySequences(source, target);
    await target.query('COMMIT');
    await source.query('COMMIT');
    return { tables: tables.length, rows };
  } finally {
    // Without COMMIT, ending the session rolls the target back: the error path.
    await Promise.all([source.end(), target.end()].map((p) => p.catch(() => undefined)));
  }
}

function connect(url: string, applicationName: string): Client {
  const client = new Client({ connectionString: url, application_name: applicationName });
  // Errors arrive through the queries; an unheard 'error' event would end the process.
  client.on('error', () => undefined);
  return client;
}

async function appliedMigrations(client: Client): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM knex_migrations ORDER BY name',
  );
  return rows.map((r) => r.name).join('\n');
}

/** User tables, quoted, each after the tables its foreign keys point to. */
async function tablesInDependencyOrder(client: Client): Promise<string[]> {
  const { rows: tables } = await client.query<{ oid: number; name: string; plain: string }>(
    `SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name,
            n.nspname || '.' || c.relname AS plain
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 2`,
  );
  const { rows: edges } = await client.query<{ child: number; parent: number }>(
    `SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint
      WHERE contype = 'f' AND conrelid <> confrelid`,
  );
  const wanted = tables.filter((t) => !BOOKKEEPING.has(t.plain));
  const ordered: string[] = [];
  const placed = new Set<number>();
  const visiting = new Set<number>();
  const visit = (oid: number) => {
    if (placed.has(oid) || visiting.has(oid)) return; // a cycle: its order does not matter
    visiting.add(oid);
    for (const e of edges) if (e.child === oid) visit(e.parent);
    visiting.delete(oid);
    placed.add(oid);
    const table = wanted.find((t) => t.oid === oid);
    if (table) ordered.push(table.name);
  };
  for (const t of wanted) visit(t.oid);
  return ordered;
}

async function copySequences(source: Client, target: Client): Promise<void> {
  const { rows: sequences } = await source.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        AND sequencename NOT LIKE 'knex\\_migrations%'`,
  );
  for (const { name } of sequences) {
    const { rows } = await source.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value, is_called FROM ${name}`,
    );
    const state = rows[0];
    if (state) {
      await target.query('SELECT setval($1::regclass, $2, $3)', [
        name,
        state.last_value,
        state.is_called,
      ]);
    }
  }
}
