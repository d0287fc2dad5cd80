import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Auth0ClientSettings } from './auth0Settings';

/**
 * The local Auth0 emulator, the zero-setup default when no Auth0 tenant is configured (never
 * in production: config.ts refuses that combination, and this is the last guard).
 *
 * A running server already serves it (and owns its state file): a CLI started beside it
 * talks to that one instead of failing on the port or overwriting the file. Two processes
 * starting at once both find the port free; the one that loses it shares too.
 */

/*
 * Loaded on first use: a CLI command that never talks to Auth0 does not pay for loading the
 * emulator (express). require(), not import(): this is CommonJS, and a dynamic import() of a
 * .ts file would bypass the TypeScript loader hook.
 */
const loadEmulator = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tenant-signup/auth0-emulator') as typeof import('@tenant-signup/auth0-emulator');

export interface LocalAuth0 {
  settings: Auth0ClientSettings;
  /** Stops the emulator if this process started it (a shared one keeps running). */
  stop(): Promise<void>;
}

export async function useLocalEmulator(config: Config, logger: Logger): Promise<LocalAuth0> {
  if (config.env === 'production')
    throw new Error('The Auth0 emulator is never used in production');
  const { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, EMULATOR_PUBLIC_CLIENT_ID } = loadEmulator();
  const emulator = await shareOrStart(config, logger);
  logger.warn(
    { url: emulator.url },
    '*** NO AUTH0 CREDENTIALS CONFIGURED: using the LOCAL AUTH0 EMULATOR. Users are NOT created in a real Auth0 tenant. Set AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET for real Auth0. ***',
  );
  const { connection, timeoutMs, retryBudgetMs } = config.auth0;
  return {
    settings: {
      baseUrl: emulator.url,
      clientId: EMULATOR_CLIENT_ID,
      clientSecret: EMULATOR_CLIENT_SECRET,
      audience: emulator.managementAudience,
      connection,
      timeoutMs,
      retryBudgetMs,
      publicClientId: EMULATOR_PUBLIC_CLIENT_ID,
    },
    stop: () => emulator.stop(),
  };
}

/** The emulator this service's config describes (also `npm run auth0:emulator`'s). */
export function emulatorOptions(config: Config) {
  return {
    port: config.auth0.emulator.port,
    stateFile: config.auth0.emulator.stateFile,
    connections: [config.auth0.connection],
    // This service's own API, so the post-login Action's loop runs offline too.
    apis: [{ audience: config.api.audience, scopes: ['sync:users'] }],
    // People log in offline too (password grants): their tokens are for this API, checked
    // against this connection, and carry the school as the post-login Action would add it.
    defaultAudience: config.api.audience,
    defaultDirectory: config.auth0.connection,
    userClaims: { [config.api.tenantClaim]: 'db_name' },
  };
}

async function shareOrStart(config: Config, logger: Logger) {
  const { port } = config.auth0.emulator;
  const url = `http://127.0.0.1:${port}`;
  const shared = { url, managementAudience: `${url}/api/v2/`, stop: () => Promise.resolve() };
  // The port can change hands while we look (its owner just stopping): try a few times.
  for (let attempt = 1; ; attempt++) {
    if (await emulatorAnswers(url)) return shared;
    try {
      return await loadEmulator().startAuth0Emulator({ ...emulatorOptions(config), logger });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function emulatorAnswers(url: string): Promise<boolean> {
  return fetch(`${url}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(1000),
  }).then(
    (res) => res.ok,
    () => false,
  );
}
