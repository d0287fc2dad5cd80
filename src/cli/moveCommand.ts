import type { Dependencies } from '../composition';
import { moveSchool, MoveRefusedError } from '../schools/moveSchool';
import { command } from './command';
import { parseCommandArgs, UsageError } from './options';

export const moveCommand = command({
  summary: "Move a school's database, with its data, to another server",
  usage: `Usage: npm run tenants -- move <db_name> --to <server>

Copies the database to <server> (a fresh database at the same schema, every row streamed
with COPY), points the catalog at it and drops the original. The name, the catalog row and
the Auth0 user stay the same. The tenant is read-only while its rows are copied. Interrupted
(even by kill -9), the move is finished or undone by the next reconcile: the tenant is
always on exactly one server, with all its data.`,
  parse(args: string[]) {
    const { values, positionals } = parseCommandArgs(args, {
      options: { to: { type: 'string' } },
      positionals: { min: 1, max: 1, name: '<db_name>' },
    });
    if (!values.to) throw new UsageError('--to <server> is required');
    return { dbName: positionals[0]!, to: values.to };
  },
  async run({ dbName, to }, deps: Dependencies) {
    let report;
    try {
      report = await moveSchool(dbName, to, { ...deps, running: new Set() });
    } catch (error) {
      if (error instanceof MoveRefusedError) throw new UsageError(error.message);
      throw error;
    }
    process.stdout.write(
      `moved ${dbName} from ${report.from} to ${report.to}: ${report.rows} rows in ${report.tables} tables, ` +
        `read-only for ${report.readOnlyMs} ms, ${report.elapsedMs} ms in all\n`,
    );
    return 0;
  },
});
