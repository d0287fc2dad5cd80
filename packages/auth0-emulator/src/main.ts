/* eslint-disable no-console -- a developer-facing CLI: plain console output is the interface. */
import { parseCliArgs, USAGE, UsageError } from './cliArgs';
import { serveAuth0Emulator } from './serve';

// `npm start -w @tenant-signup/auth0-emulator -- [options]`: a persistent local Auth0 tenant.
// Its settings are its flags (cliArgs.ts); it reads no configuration from the environment.

async function main(): Promise<void> {
  // Not a setting but a safety net: the emulator hands out tokens for a documented secret and
  // must never stand in for Auth0 on a production machine.
  if (process.env.NODE_ENV === 'production') {
    console.error('Refusing to start the Auth0 emulator with NODE_ENV=production.');
    process.exit(1);
  }
  let request;
  try {
    request = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`auth0-emulator: ${error.message} (--help for usage)`);
    process.exit(2);
  }
  if (request.help) {
    console.log(USAGE);
    return;
  }
  await serveAuth0Emulator({
    ...request.settings,
    logger: {
      info: (obj, msg) => console.log(msg ?? '', JSON.stringify(obj)),
      warn: (obj, msg) => console.warn(msg ?? '', JSON.stringify(obj)),
    },
  });
}

main().catch((err: unknown) => {
  console.error('Auth0 emulator failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
