import type { Auth0Dependencies, Dependencies } from '../composition';
import { deleteSchool } from '../schools/removeSchool';
import { command } from './command';
import { parseCommandArgs, UsageError } from './options';

export const deleteCommand = command({
  auth0: true,
  summary: 'Delete a school: its database, its Auth0 user and its catalog row (needs --yes)',
  usage: `Usage: npm run tenants -- delete <db_name> --yes [--force]

  --yes     required: deleting drops the school's database and all its data
  --force   also drop a catalogued database that carries no ownership marker
            (one created before markers existed)`,
  parse(args: string[]) {
    const { values, positionals } = parseCommandArgs(args, {
      options: { yes: { type: 'boolean' }, force: { type: 'boolean' } },
      positionals: { min: 1, max: 1, name: '<db_name>' },
    });
    const dbName = positionals[0]!;
    if (!values.yes) {
      throw new UsageError(
        `this drops ${dbName} and all its data, and deletes its Auth0 user: re-run with --yes to confirm`,
      );
    }
    return { dbName, force: values.force === true };
  },
  async run({ dbName, force }, deps: Dependencies & Auth0Dependencies) {
    const { auth0, servers } = deps;
    const { schools } = deps.catalog;
    const result = await deleteSchool(dbName, { schools, auth0, servers }, { force });
    process.stdout.write(
      `deleted ${dbName}: database ${result.droppedDatabase ? 'dropped' : 'was already gone'}, ` +
        `${result.deletedUsers} Auth0 user(s) deleted, catalog row removed\n`,
    );
    return 0;
  },
});
