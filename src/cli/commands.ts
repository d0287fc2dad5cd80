import { deleteCommand } from './deleteCommand';
import { eventsCommand } from './eventsCommand';
import { migrateCommand, rollbackCommand } from './migrateCommands';
import { moveCommand } from './moveCommand';
import { reconcileCommand } from './reconcileCommand';
import { serversCommand } from './serversCommand';
import { statusCommand } from './statusCommand';
import type { Command } from './command';

export const COMMANDS: Record<string, Command> = {
  migrate: migrateCommand,
  status: statusCommand,
  rollback: rollbackCommand,
  reconcile: reconcileCommand,
  delete: deleteCommand,
  events: eventsCommand,
  servers: serversCommand,
  move: moveCommand,
};

export function printHelp(): void {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  process.stdout.write(
    `Usage: npm run tenants -- <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n` +
      `Run a command with --help for its options.\n`,
  );
}
