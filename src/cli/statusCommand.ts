import type { School } from '../catalog/schoolsRepository';
import type { Dependencies } from '../composition';
import { isBehind } from '../tenants/migration/tenantSchema';
import { command } from './command';
import { clip, table } from './format';
import { parseCommandArgs } from './options';

/** The --json shape: the catalog's own column names, which scripts may already read. */
const asJson = (s: School) => ({
  name: s.name,
  db_name: s.dbName,
  server: s.server,
  migration_version: s.migrationVersion,
  migration_set: s.migrationSet,
  status: s.status,
  last_error: s.lastError,
});

export const statusCommand = command({
  summary: 'Table of every school: database, version, state, last error',
  usage: `Usage: npm run tenants -- status [--json]

  --json   print the rows as JSON instead of a table`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { json: { type: 'boolean' } } }).values,
  async run(values, deps: Dependencies) {
    const { schools: registry, outbox: events } = deps.catalog;
    const schools = await registry.list('name');
    const { schema } = deps.servers.default.migrator;
    const behind = (s: School) => s.status === 'ready' && isBehind(s, schema);
    if (values.json) {
      const body = { latestVersion: schema.version, schools: schools.map(asJson) };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return 0;
    }
    const outbox = await events.pending();
    const unfinished = schools.filter((s) => s.status !== 'ready').length;
    process.stdout.write(
      `latest tenant version ${schema.version}; ${schools.length} schools, ${schools.filter(behind).length} behind, ${unfinished} unfinished signups; ` +
        `${outbox.unpublished} events not yet published, ${outbox.unnotified} not yet notified\n\n`,
    );
    if (schools.length === 0) return 0;
    const header = ['SCHOOL', 'DATABASE', 'SERVER', 'VERSION', 'STATE', 'LAST ERROR'];
    const body = schools.map((s) => [
      clip(s.name, 40),
      s.dbName,
      s.server,
      s.migrationVersion ?? '-',
      behind(s) ? 'behind' : s.status,
      clip((s.lastError ?? '').replace(/\s+/g, ' '), 60),
    ]);
    process.stdout.write(`${table([header, ...body])}\n`);
    return 0;
  },
});
