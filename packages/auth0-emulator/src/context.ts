import type { SigningKey } from './jwt';
import type { RateLimiter } from './rateLimiter';
import type { SearchIndex } from './searchIndex';
import type { UserStore } from './userStore';
import type { EmulatorApi, EmulatorClient, EmulatorLogger } from './types';

/** What the route modules share. `origin` is only known once the server listens. */
export interface EmulatorContext {
  origin: { url: string };
  clients: Map<string, EmulatorClient>;
  connections: Set<string>;
  /** Custom APIs by audience. */
  apis: Map<string, EmulatorApi>;
  key: SigningKey;
  store: UserStore;
  /** What GET /api/v2/users sees: the store, lagging by the configured delay. */
  searchIndex: SearchIndex;
  limiter: RateLimiter;
  tokenLifetimeSeconds: number;
  /** Auth0's tenant settings Default Audience and Default Directory (password grants). */
  defaultAudience?: string;
  defaultDirectory?: string;
  /** Claim name → app_metadata key, added to user access tokens. */
  userClaims: Record<string, string>;
  /** Extra allowed CORS origins; loopback origins are always allowed. */
  corsOrigins: Set<string>;
  logger?: EmulatorLogger;
}

/**
 * Audiences that name this emulator's Management API. The same server answers on 127.0.0.1
 * and localhost, and the official SDK defaults to `https://{domain}/api/v2/` even when its
 * requests are routed to plain http, so all four spellings are the same API.
 */
export function managementAudiences(url: string): string[] {
  const { port } = new URL(url);
  return ['http', 'https'].flatMap((scheme) =>
    ['127.0.0.1', 'localhost'].map((host) => `${scheme}://${host}:${port}/api/v2/`),
  );
}
