import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { buildApp } from './app';
import type { EmulatorContext } from './context';
import { Faults } from './faults';
import { createSigningKey, exportPrivateKeyPem, signingKeyFromPem } from './jwt';
import { RateLimiter } from './rateLimiter';
import { Recorder } from './recorder';
import { SearchIndex } from './searchIndex';
import { settingsHandle } from './settings';
import { readState, writeState, type StoredUser } from './state';
import { checkUserClaims } from './userClaims';
import { toPublicUser, UserStore } from './userStore';
import type { Auth0Emulator, Auth0EmulatorOptions, EmulatorClient } from './types';

// Builds one emulator: its state (users, signing key), its HTTP server on 127.0.0.1, and the
// handle tests and command lines drive it through.

/** Documented development credentials; they only ever unlock this emulator. */
export const EMULATOR_CLIENT_ID = 'emulator-client';
export const EMULATOR_CLIENT_SECRET = 'emulator-secret';
export const DEFAULT_CONNECTION = 'Username-Password-Authentication';
/**
 * A public client (no secret, like an Auth0 single-page app) for people and browsers: the
 * password grants with a client_id alone, e.g. from Swagger UI or curl. It cannot use
 * client_credentials.
 */
export const EMULATOR_PUBLIC_CLIENT_ID = 'emulator-public-client';

const DEFAULT_CLIENT: EmulatorClient = {
  clientId: EMULATOR_CLIENT_ID,
  clientSecret: EMULATOR_CLIENT_SECRET,
  scopes: ['create:users', 'read:users', 'update:users', 'delete:users'],
};
const PUBLIC_CLIENT: EmulatorClient = { clientId: EMULATOR_PUBLIC_CLIENT_ID, scopes: [] };

/** Refuses settings a real tenant could not have, before anything starts. */
function checkLoginOptions(opts: Auth0EmulatorOptions, connections: string[]): void {
  const { defaultAudience, defaultDirectory, userClaims } = opts;
  if (
    defaultAudience !== undefined &&
    !(opts.apis ?? []).some((a) => a.audience === defaultAudience)
  ) {
    throw new Error(`defaultAudience ${defaultAudience} is not one of the configured apis`);
  }
  if (defaultDirectory !== undefined && !connections.includes(defaultDirectory)) {
    throw new Error(`defaultDirectory ${defaultDirectory} is not one of the connections`);
  }
  if (userClaims) checkUserClaims(userClaims);
}

export async function startAuth0Emulator(opts: Auth0EmulatorOptions = {}): Promise<Auth0Emulator> {
  const { stateFile, logger } = opts;
  const connections = opts.connections ?? [DEFAULT_CONNECTION];
  checkLoginOptions(opts, connections);
  const saved = stateFile ? readState(stateFile) : undefined;
  const key = saved ? signingKeyFromPem(saved.privateKeyPem) : await createSigningKey();
  const privateKeyPem = saved?.privateKeyPem ?? exportPrivateKeyPem(key);
  const persist = (users: StoredUser[]): void => {
    if (stateFile) writeState(stateFile, { version: 1, privateKeyPem, users });
  };
  const searchIndex = new SearchIndex(0);
  const settings = settingsHandle(searchIndex);
  settings.update({ searchIndexDelayMs: opts.searchIndexDelayMs ?? 0 }); // validates the option
  const store = new UserStore(saved?.users ?? [], persist, (userId, user) =>
    searchIndex.record(userId, user && toPublicUser(user)),
  );
  searchIndex.seed(store.all().map(toPublicUser));

  const apis = opts.apis ?? [];
  const defaultClient: EmulatorClient = {
    ...DEFAULT_CLIENT,
    apiGrants: Object.fromEntries(apis.map((api) => [api.audience, api.scopes])),
  };
  const ctx: EmulatorContext = {
    origin: { url: '' },
    clients: new Map((opts.clients ?? [defaultClient, PUBLIC_CLIENT]).map((c) => [c.clientId, c])),
    apis: new Map(apis.map((api) => [api.audience, api])),
    connections: new Set(connections),
    key,
    store,
    searchIndex,
    limiter: new RateLimiter(opts.rateLimit ?? { limit: 50, windowSeconds: 1 }),
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 86400,
    defaultAudience: opts.defaultAudience,
    defaultDirectory: opts.defaultDirectory,
    userClaims: { ...opts.userClaims },
    corsOrigins: new Set(opts.corsOrigins),
    logger,
  };
  const recorder = new Recorder();
  const faults = new Faults(logger);
  const users = () => store.all().map(toPublicUser);
  const resetRecords = (): void => {
    recorder.reset();
    ctx.limiter.reset();
  };
  const control = opts.enableControlApi
    ? {
        faults,
        users,
        requests: () => recorder.requests(),
        tokenRequestCount: () => recorder.tokenRequestCount(),
        resetRecords,
        settings,
      }
    : undefined;

  const server = createServer(buildApp(ctx, recorder, faults, control));
  // Tracked so stop() can cut keep-alive and hung connections instead of waiting on them.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Only once the port is ours: a second emulator that lost the port must not write the file.
  if (stateFile && !saved) persist([]); // keep the key from the very first start
  const { port } = server.address() as AddressInfo;
  ctx.origin.url = `http://127.0.0.1:${port}`;
  logger?.info({ url: ctx.origin.url, persistent: Boolean(stateFile) }, 'auth0 emulator listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      faults.shutdown();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return stopping;
  };

  return {
    url: ctx.origin.url,
    managementAudience: `${ctx.origin.url}/api/v2/`,
    stop,
    users,
    findUserByEmail: (email) => {
      const [user] = store.findByEmail(email);
      return user ? toPublicUser(user) : undefined;
    },
    requests: () => recorder.requests(),
    tokenRequestCount: () => recorder.tokenRequestCount(),
    resetRecords,
    faults,
    settings: () => settings.get(),
    updateSettings: (patch) => settings.update(patch),
  };
}
