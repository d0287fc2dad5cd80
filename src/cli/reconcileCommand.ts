import type { Runtime } from '../runtime';
import { reconcileSignups } from '../signup/reconcile';
import { command } from './command';
import { parseCommandArgs } from './options';

export const reconcileCommand = command({
  auth0: true,
  summary: 'Finish or undo signups a crash or an outage interrupted',
  usage: `Usage: npm run tenants -- reconcile

Rolls back signups whose server process is gone and signups whose compensation failed:
deletes their Auth0 user, drops the database they created, removes their catalog row.
Also drops databases this service created that no catalog row points to.
Signups still in progress on a running server are left alone. Exits 1 if any could not
be finished (e.g. Auth0 unreachable); run it again later.`,
  parse: (args: string[]) => parseCommandArgs(args, { options: {} }).values,
  async run(_options, runtime: Runtime) {
    const summary = await reconcileSignups({
      ...runtime,
      horizonSeconds: runtime.config.reconcileHorizonSeconds,
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
    for (const f of summary.failed) process.stdout.write(`  FAILED ${f.dbName}: ${f.error}\n`);
    return summary.failed.length > 0 ? 1 : 0;
  },
});
