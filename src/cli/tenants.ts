import 'dotenv/config';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { compose, composeWithAuth0 } from '../composition';
import type { Command } from './command';
import { COMMANDS, printHelp } from './commands';
import { UsageError } from './options';

/**
 * `npm run tenants -- <command>`: operator commands over the catalogued tenants. Argument
 * parsing and output only; each command calls the same functions the server uses.
 * Exit codes: 0 done, 1 a real failure, 2 a usage error (nothing was done).
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name ? 0 : 2;
  }
  const command: Command | undefined = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command: ${name}\n\n`);
    printHelp();
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    const parsed = command.parse(args);
    const config = loadConfig();
    // Logs go to stderr so stdout stays the command's own output (tables, JSON).
    const logger = createLogger(config.log.cliLevel, pino.destination(2));
    if (command.auth0) {
      const deps = await composeWithAuth0(config, logger);
      return await command.run(parsed, deps).finally(() => deps.close());
    }
    const deps = await compose(config, logger);
    return await command.run(parsed, deps).finally(() => deps.close());
  } catch (error) {
    // Bad input, found while parsing or (a server name, say) once the configuration is read.
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n\n${command.usage}\n`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError ? error.message : `Failed: ${String(error)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  },
);
