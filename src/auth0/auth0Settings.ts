/** Where and how to reach one Auth0 tenant's Management API (the real one, or the emulator). */
export interface Auth0ClientSettings {
  /** e.g. https://tenant.eu.auth0.com or http://127.0.0.1:4010 (no trailing slash). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** The database connection users are created in. */
  connection: string;
  timeoutMs: number;
  retryBudgetMs: number;
  /** An application people sign in with, offered on /docs (the emulator's public client). */
  publicClientId?: string;
}
