import { deleteCommand } from './deleteCommand';
import { eventsCommand } from './eventsCommand';
import { migrateCommand, rollbackCommand } from './migrateCommands';
import { reconcileCommand } from './reconcileCommand';
import { statusCommand } from './statusCommand';
import type { CatalogRuntime, Runtime } from '../runtime';

interface CommandText {
  summary: string;
  usage: string;
}

/**
 * A command; `run` returns the process exit code. Only commands that talk to Auth0 get (and
 * pay for starting) the Auth0 client, or the local emulator.
 */
export type Command =
  | (CommandText & { auth0?: false; run(args: string[], runtime: CatalogRuntime): Promise<number> })
  | (CommandText & { auth0: true; run(args: string[], runtime: Runtime): Promise<number> });

export const COMMANDS: Record<string, Command> = {
  migrate: migrateCommand,
  status: statusCommand,
  rollback: rollbackCommand,
  reconcile: reconcileCommand,
  delete: deleteCommand,
  events: eventsCommand,
};

export function printHelp(): void {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  process.stdout.write(
    `Usage: npm run tenants -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n` +
      `Run a command with --help for its options.\n`,
  );
}
