import type { CatalogRuntime } from '../runtime';
import { command } from './command';
import { parseCommandArgs } from './options';

interface StatusRow {
  name: string;
  db_name: string;
  server: string;
  migration_version: string | null;
  migration_set: string | null;
  status: string;
  last_error: string | null;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

export const statusCommand = command({
  summary: 'Table of every school: database, version, state, last error',
  usage: `Usage: npm run tenants -- status [--json]

  --json   print the rows as JSON instead of a table`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { json: { type: 'boolean' } } }).values,
  async run(values, runtime: CatalogRuntime) {
    const rows: StatusRow[] = await runtime
      .catalog('catalog.schools')
      .orderBy('name')
      .select(
        'name',
        'db_name',
        'server',
        'migration_version',
        'migration_set',
        'status',
        'last_error',
      );
    const { schema } = runtime.tenants;
    const latest = schema.version;
    // Behind: not at this release's schema, by version or by migration set (a migration
    // merged with an older timestamp leaves the version as it was).
    const isBehind = (r: StatusRow) =>
      r.status === 'ready' && (r.migration_version !== latest || r.migration_set !== schema.set);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ latestVersion: latest, schools: rows }, null, 2)}\n`,
      );
      return 0;
    }
    const {
      rows: [outbox],
    } = await runtime.catalog.raw<{ rows: { unpublished: number; unnotified: number }[] }>(
      `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS unpublished,
              count(*) FILTER (WHERE notified_at IS NULL)::int AS unnotified
       FROM catalog.outbox`,
    );
    const behind = rows.filter(isBehind).length;
    const unfinished = rows.filter((r) => r.status !== 'ready').length;
    process.stdout.write(
      `latest tenant version ${latest}; ${rows.length} schools, ${behind} behind, ${unfinished} unfinished signups; ` +
        `${outbox?.unpublished ?? 0} events not yet published, ${outbox?.unnotified ?? 0} not yet notified\n\n`,
    );
    if (rows.length === 0) return 0;
    const header = ['SCHOOL', 'DATABASE', 'SERVER', 'VERSION', 'STATE', 'LAST ERROR'];
    const body = rows.map((r) => [
      clip(r.name, 40),
      r.db_name,
      r.server,
      r.migration_version ?? '-',
      isBehind(r) ? 'behind' : r.status,
      clip((r.last_error ?? '').replace(/\s+/g, ' '), 60),
    ]);
    process.stdout.write(`${table([header, ...body])}\n`);
    return 0;
  },
});
