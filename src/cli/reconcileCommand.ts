import type { Auth0Dependencies, Dependencies } from '../composition';
import { reconcileSignups } from '../schools/reconcile';
import { command } from './command';
import { parseCommandArgs } from './options';

export const reconcileCommand = command({
  auth0: true,
  summary: 'Finish or undo signups a crash or an outage interrupted',
  usage: `Usage: npm run tenants -- reconcile [--sweep-auth0]

Rolls back signups whose server process is gone and signups whose compensation failed:
deletes their Auth0 user, drops the database they created, removes their catalog row (and
watches for a create of theirs that lands late). Also drops databases this service created
that no catalog row points to, and deletes late Auth0 users of rolled-back signups.

  --sweep-auth0   also search Auth0 now for this deployment's recent users (since the
                  last sweep, or the last day) that have no catalog row, and delete them
Signups still in progress on a running server are left alone. Exits 1 if any could not
be finished (e.g. Auth0 unreachable); run it again later.`,
  parse: (args: string[]) =>
    parseCommandArgs(args, { options: { 'sweep-auth0': { type: 'boolean' } } }).values,
  async run(options, deps: Dependencies & Auth0Dependencies) {
    const summary = await reconcileSignups({
      catalog: deps.catalog,
      auth0: deps.auth0,
      servers: deps.servers,
      logger: deps.logger,
      horizonSeconds: deps.config.reconcile.horizonSeconds,
      auth0Sweep: options['sweep-auth0']
        ? { deployment: deps.deployment, everySeconds: 0, now: true }
        : undefined,
    });
    if (!summary.ran) {
      process.stdout.write('Another process is reconciling right now; nothing done.\n');
      return 0;
    }
    process.stdout.write(
      `rolled back ${summary.rolledBack.length} interrupted signups, dropped ${summary.orphanDatabasesDropped.length} orphaned databases, ${summary.failed.length} could not be finished\n`,
    );
    for (const db of summary.rolledBack) process.stdout.write(`  rolled back ${db}\n`);
    for (const db of summary.orphanDatabasesDropped) process.stdout.write(`  dropped ${db}\n`);
    for (const db of summary.lateUsersDeleted)
      process.stdout.write(`  deleted a late Auth0 user of rolled-back ${db}\n`);
    if (summary.auth0Sweep) {
      const { seen, deleted } = summary.auth0Sweep;
      process.stdout.write(
        `  Auth0 sweep: ${seen} recent users seen, ${deleted.length} orphans deleted\n`,
      );
    }
    for (const f of summary.failed) process.stdout.write(`  FAILED ${f.dbName}: ${f.error}\n`);
    return summary.failed.length > 0 ? 1 : 0;
  },
});
