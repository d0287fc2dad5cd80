/* global fetch, AbortSignal, exports, console -- the Auth0 Actions runtime (Node 18+) */
/* eslint-disable no-console -- Auth0 Actions log through console.log (Action logs / Real-time Logs). */
/**
 * Auth0 Action — Login / Post Login. Two jobs:
 *
 * 1. On EVERY login, puts the user's school in their access token: the custom claim
 *    TENANT_CLAIM (default https://tenant-signup/db_name) = app_metadata.db_name, which the
 *    service set at signup. The school's API (/api/students, ...) takes the tenant from it.
 *    Users without a school (social users not yet signed up) get no claim. Auth0 only adds
 *    custom claims to tokens for a custom API (audience = the service's API_AUDIENCE).
 * 2. On the FIRST login only, tells the tenant-signup service about the user
 *    (POST /users/sync), so social users are in catalog.users too.
 *
 * Paste into Auth0 Dashboard → Actions → Library → Build Custom (trigger: Login / Post Login),
 * then add these secrets (Action → Secrets):
 *   SIGNUP_API_URL   e.g. https://signup.example.org (no trailing slash)
 *   API_AUDIENCE     the service's API_AUDIENCE, e.g. urn:tenant-signup:api
 *   AUTH0_DOMAIN     your tenant domain, e.g. your-tenant.eu.auth0.com
 *   CLIENT_ID        a Machine-to-Machine application authorised for API_AUDIENCE with the
 *   CLIENT_SECRET    sync:users scope
 *   TENANT_CLAIM     optional: the service's TENANT_CLAIM, if not the default above
 * Requires Node 18+ (global fetch). The sync fails open: a problem is logged, the login goes on.
 * The local Auth0 emulator adds the same claim itself (its userClaims option), offline.
 */

const TOKEN_CACHE_KEY = 'tenant-signup-sync-token';
const SYNCED_FLAG = 'tenant_signup_synced';
const DEFAULT_TENANT_CLAIM = 'https://tenant-signup/db_name';

/** Every login: the school's API must find the tenant in every token, not only the first. */
function addTenantClaim(event, api) {
  const dbName = event.user.app_metadata && event.user.app_metadata.db_name;
  if (typeof dbName !== 'string' || dbName === '') return;
  const claim = (event.secrets && event.secrets.TENANT_CLAIM) || DEFAULT_TENANT_CLAIM;
  api.accessToken.setCustomClaim(claim, dbName);
}

async function accessToken(event, api) {
  const cached = api.cache.get(TOKEN_CACHE_KEY);
  if (cached && cached.value) return cached.value;
  const res = await fetch(`https://${event.secrets.AUTH0_DOMAIN}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: event.secrets.CLIENT_ID,
      client_secret: event.secrets.CLIENT_SECRET,
      audience: event.secrets.API_AUDIENCE,
    }),
  });
  if (!res.ok) throw new Error(`token request failed with ${res.status}`);
  const body = await res.json();
  // Cached a minute less than it lives, so a cached token is never about to expire.
  const ttlMs = Math.max(0, (body.expires_in - 60) * 1000);
  api.cache.set(TOKEN_CACHE_KEY, body.access_token, { expires_at: Date.now() + ttlMs });
  return body.access_token;
}

/**
 * @param {Event} event - Details about the user and the context in which they are logging in.
 * @param {PostLoginAPI} api - Interface whose methods can be used to change the behavior of the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  addTenantClaim(event, api);
  const firstLogin = event.stats && event.stats.logins_count === 1;
  const alreadySynced = event.user.app_metadata && event.user.app_metadata[SYNCED_FLAG] === true;
  if (!firstLogin || alreadySynced) return;
  try {
    const token = await accessToken(event, api);
    const res = await fetch(`${event.secrets.SIGNUP_API_URL}/users/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        user_id: event.user.user_id,
        email: event.user.email,
        connection: event.connection.name,
        strategy: event.connection.strategy,
      }),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 401) api.cache.delete(TOKEN_CACHE_KEY); // rotated or revoked: refetch next time
    if (!res.ok) throw new Error(`sync answered ${res.status}`);
    api.user.setAppMetadata(SYNCED_FLAG, true);
  } catch (err) {
    // Fail open: the login must not depend on the signup service.
    console.log(`tenant-signup sync skipped for ${event.user.user_id}: ${err && err.message}`);
  }
};
