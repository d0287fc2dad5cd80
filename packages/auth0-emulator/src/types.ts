// Public types of the Auth0 emulator. Kept apart from the implementation so the product and
// tests can import them without pulling in express.

export interface EmulatorClient {
  clientId: string;
  /**
   * Omitted for a public client (an Auth0 single-page or native application, whose
   * token_endpoint_auth_method is "none"): it authenticates with its client_id alone and may
   * only use the password grants, never client_credentials.
   */
  clientSecret?: string;
  /** Management API scopes. */
  scopes: string[];
  /**
   * Client grants for custom APIs: audience → scopes. Without an entry the client may not get
   * tokens for that API (Auth0's "Client is not authorized to access"). The default client is
   * granted every scope of every configured API.
   */
  apiGrants?: Record<string, string[]>;
  /** Overrides the emulator's token lifetime for this client (negative: already expired). */
  tokenLifetimeSeconds?: number;
}

/** A custom API (resource server) registered with the emulator, like API_AUDIENCE. */
export interface EmulatorApi {
  audience: string;
  scopes: string[];
}

export interface EmulatorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RateLimitOptions {
  limit: number;
  windowSeconds: number;
}

export interface Auth0EmulatorOptions {
  /** 0 (default) picks a free port. The emulator always binds 127.0.0.1. */
  port?: number;
  clients?: EmulatorClient[];
  tokenLifetimeSeconds?: number;
  /** When set, users and the signing key survive restarts (JSON, written atomically). */
  stateFile?: string;
  rateLimit?: RateLimitOptions;
  /** Exposes unauthenticated /__emulator routes; for tests only. */
  enableControlApi?: boolean;
  /** Database connections that exist; default ['Username-Password-Authentication']. */
  connections?: string[];
  /** Custom APIs it issues access tokens for (RS256, issuer `${url}/`). */
  apis?: EmulatorApi[];
  /** See EmulatorSettings; default 0. */
  searchIndexDelayMs?: number;
  /**
   * The tenant's Default Audience: the API a password grant's token is for when the request
   * names none (Swagger UI's OAuth2 password flow cannot send one). Must be one of `apis`.
   */
  defaultAudience?: string;
  /**
   * The tenant's Default Directory: the connection `grant_type=password` checks credentials
   * against (it has no `realm`). Must be one of `connections`. Without it that grant answers
   * Auth0's 500 "not configured with default connection".
   */
  defaultDirectory?: string;
  /**
   * Custom claims on user access tokens, claim name → app_metadata key, as a post-login
   * Action's api.accessToken.setCustomClaim(name, event.user.app_metadata[key]) would add
   * them: only for users whose app_metadata has the key. E.g.
   * `{ 'https://tenant-signup/db_name': 'db_name' }`.
   */
  userClaims?: Record<string, string>;
  /**
   * Browser origins allowed to call /oauth/token and /.well-known/* besides loopback ones
   * (http://localhost, 127.0.0.1 or [::1] on any port, always allowed), e.g. a dev container's
   * forwarded address of the page that hosts Swagger UI.
   */
  corsOrigins?: string[];
  logger?: EmulatorLogger;
}

/** Behaviour that can change while the emulator runs (updateSettings, PATCH /__emulator/settings). */
export interface EmulatorSettings {
  /**
   * How long a write takes to reach user search (GET /api/v2/users), which Auth0 documents as
   * eventually consistent: a new user is not found, and a deleted one still is, until then.
   * users-by-email and GET /users/{id} are always immediate.
   */
  searchIndexDelayMs: number;
}

export interface EmulatorIdentity {
  connection: string;
  user_id: string;
  provider: 'auth0';
  isSocial: false;
}

/** A user as the Management API v2 returns it (never includes the password hash). */
export interface EmulatorUser {
  user_id: string;
  email: string;
  email_verified: boolean;
  name: string;
  nickname: string;
  picture: string;
  identities: EmulatorIdentity[];
  created_at: string;
  updated_at: string;
  given_name?: string;
  family_name?: string;
  username?: string;
  phone_number?: string;
  phone_verified?: boolean;
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string (queries can carry e-mail addresses). */
  path: string;
  /** 0 when no response was sent (dropped or hung connection). */
  status: number;
  /** ISO-8601 time the request arrived. */
  at: string;
}

export interface FaultRule {
  method?: string;
  /** Exact path, or a prefix when it ends with '*'. */
  path?: string;
  /** How many matching requests this rule applies to; default 1. */
  times?: number;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  hang?: boolean;
  dropAfterHandling?: boolean;
  /**
   * The request gets no answer; this long after it arrived the real handler runs and takes
   * effect even if the caller has gone (timed out, killed), and its response is discarded.
   * Cannot be combined with status, body, headers, delayMs, hang or dropAfterHandling.
   */
  landAfterMs?: number;
}

export interface FaultInjector {
  add(rule: FaultRule): void;
  /**
   * Removes every rule and releases hung requests by closing their sockets. Requests already
   * waiting to land (landAfterMs) still land: they have reached "Auth0".
   */
  clear(): void;
  /** Rules not yet used up. */
  pending(): number;
}

export interface Auth0Emulator {
  url: string;
  managementAudience: string;
  stop(): Promise<void>;
  users(): EmulatorUser[];
  findUserByEmail(email: string): EmulatorUser | undefined;
  requests(): RecordedRequest[];
  tokenRequestCount(): number;
  resetRecords(): void;
  faults: FaultInjector;
  settings(): EmulatorSettings;
  /** Throws on an invalid value; returns the settings now in force. */
  updateSettings(patch: Partial<EmulatorSettings>): EmulatorSettings;
}
