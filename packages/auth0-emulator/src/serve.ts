/* eslint-disable no-console -- for a developer at a terminal: plain console output is the interface. */
import { resolve } from 'node:path';
import {
  DEFAULT_CONNECTION,
  EMULATOR_CLIENT_ID,
  EMULATOR_PUBLIC_CLIENT_ID,
  startAuth0Emulator,
} from './start';
import type { Auth0Emulator, Auth0EmulatorOptions } from './types';

/**
 * The emulator as a long-running local tenant, for both command lines (this package's and a
 * service's own, which passes its configured values): starts it, prints how to reach it, and
 * stops it on SIGINT or SIGTERM.
 */
export async function serveAuth0Emulator(opts: Auth0EmulatorOptions): Promise<Auth0Emulator> {
  const stateFile = opts.stateFile && resolve(opts.stateFile);
  const emulator = await startAuth0Emulator({ ...opts, stateFile });
  const apis = (opts.apis ?? []).map(({ audience, scopes }) => `${audience} (${scopes.join(' ')})`);
  console.log(
    [
      `Auth0 emulator listening on ${emulator.url}`,
      `  state file:    ${stateFile || 'none (users are lost when it stops)'}`,
      `  connections:   ${(opts.connections ?? [DEFAULT_CONNECTION]).join(', ')}`,
      `  custom APIs:   ${apis.join(', ') || 'none'}`,
      `  client id:     ${EMULATOR_CLIENT_ID}`,
      '  client secret: the documented development secret "emulator-secret"',
      `  public client: ${EMULATOR_PUBLIC_CLIENT_ID} (no secret; password grants only)`,
      ...(opts.defaultAudience ? [`  default audience:  ${opts.defaultAudience}`] : []),
      ...(opts.defaultDirectory ? [`  default directory: ${opts.defaultDirectory}`] : []),
      `  management API audience: ${emulator.managementAudience}`,
      ...(opts.enableControlApi ? [`  control API:   ${emulator.url}/__emulator (no auth)`] : []),
    ].join('\n'),
  );

  const shutdown = (signal: string): void => {
    console.log(`${signal} received, stopping the Auth0 emulator`);
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return emulator;
}
