import { parseArgs } from 'node:util';
import type { Runtime } from '../runtime';
import { deleteTenant } from '../tenants/deleteTenant';
import type { Command } from './commands';

export const deleteCommand: Command = {
  auth0: true,
  summary: 'Delete a school: its database, its Auth0 user and its catalog row (needs --yes)',
  usage: `Usage: npm run tenants -- delete <db_name> --yes [--force]

  --yes     required: deleting drops the school's database and all its data
  --force   also drop a catalogued database that carries no ownership marker
            (one created before markers existed)`,
  async run(args: string[], runtime: Runtime) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { yes: { type: 'boolean' }, force: { type: 'boolean' } },
    });
    const dbName = positionals[0];
    if (!dbName || positionals.length > 1) {
      process.stderr.write(`${deleteCommand.usage}\n`);
      return 2;
    }
    if (!values.yes) {
      process.stderr.write(
        `This drops ${dbName} and all its data, and deletes its Auth0 user. Re-run with --yes to confirm.\n`,
      );
      return 2;
    }
    const result = await deleteTenant(dbName, runtime, { force: values.force === true });
    process.stdout.write(
      `deleted ${dbName}: database ${result.droppedDatabase ? 'dropped' : 'was already gone'}, ` +
        `${result.deletedUsers} Auth0 user(s) deleted, catalog row removed\n`,
    );
    return 0;
  },
};
