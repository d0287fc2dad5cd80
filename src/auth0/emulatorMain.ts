import 'dotenv/config';
import { serveAuth0Emulator } from '@tenant-signup/auth0-emulator';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { emulatorOptions } from './localEmulator';

// `npm run auth0:emulator`: the emulator the service would start, on its own, with the
// service's configured port, state file, connection and API (their defaults live in config.ts).
// The server and the tenants CLI find it on that port and use it instead of starting one.

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // loadConfig() refuses production without Auth0 credentials; with them, refuse here too.
  if (config.env === 'production') {
    process.stderr.write('Refusing to start the Auth0 emulator with NODE_ENV=production.\n');
    process.exit(1);
  }
  await serveAuth0Emulator({ ...emulatorOptions(config), logger: createLogger(config.log.level) });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Auth0 emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
