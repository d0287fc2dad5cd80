/* eslint-disable no-console -- a developer-facing CLI: plain console output is the interface. */
import { resolve } from 'node:path';
import { EMULATOR_CLIENT_ID, startAuth0Emulator } from './index';

// `npm run auth0:emulator`: a persistent local Auth0 tenant for development.

const DEFAULT_PORT = 4010;

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`AUTH0_EMULATOR_PORT must be a port number, got "${raw}"`);
  }
  return port;
}

async function main(): Promise<void> {
  // The emulator hands out tokens for a documented secret: it must never stand in for Auth0
  // in production, where a misconfiguration would otherwise silently skip real identity.
  if (process.env.NODE_ENV === 'production') {
    console.error('Refusing to start the Auth0 emulator with NODE_ENV=production.');
    process.exit(1);
  }
  const stateFile = resolve(process.cwd(), '.data/auth0-emulator.json');
  const emulator = await startAuth0Emulator({
    port: parsePort(process.env.AUTH0_EMULATOR_PORT),
    stateFile,
    // The service's own API (API_AUDIENCE), for the post-login Action's POST /users/sync.
    apis: [
      { audience: process.env.API_AUDIENCE || 'urn:tenant-signup:api', scopes: ['sync:users'] },
    ],
    logger: {
      info: (obj, msg) => console.log(msg ?? '', JSON.stringify(obj)),
      warn: (obj, msg) => console.warn(msg ?? '', JSON.stringify(obj)),
    },
  });
  console.log(
    [
      `Auth0 emulator listening on ${emulator.url}`,
      `  state file:    ${stateFile}`,
      `  client id:     ${EMULATOR_CLIENT_ID}`,
      '  client secret: the documented development secret "emulator-secret"',
      `  audience:      ${emulator.managementAudience}`,
      'Point the service at it with:',
      `  AUTH0_DOMAIN=${emulator.url}`,
      `  AUTH0_CLIENT_ID=${EMULATOR_CLIENT_ID}`,
      '  AUTH0_CLIENT_SECRET=<the documented development secret>',
    ].join('\n'),
  );

  const shutdown = (signal: string): void => {
    console.log(`${signal} received, stopping the Auth0 emulator`);
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('Auth0 emulator failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
