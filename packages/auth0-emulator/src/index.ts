// A local stand-in for an Auth0 tenant that speaks the real Authentication and Management
// API contract over HTTP. A service uses it when no Auth0 credentials are configured, and
// tests use it instead of mocks, so the service's real HTTP client is what gets exercised.

export type * from './types';
export {
  DEFAULT_CONNECTION,
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_PUBLIC_CLIENT_ID,
  startAuth0Emulator,
} from './start';
export { PASSWORD_REALM_GRANT } from './passwordGrant';
export { serveAuth0Emulator } from './serve';
