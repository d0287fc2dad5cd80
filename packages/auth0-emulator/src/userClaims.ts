// Custom claims on user access tokens, as a post-login Action adds them with
// api.accessToken.setCustomClaim(name, event.user.app_metadata[key]).

/**
 * Claims Auth0 refuses to let an Action set (they would forge the token's own meaning), and
 * its reserved namespaces. Checked at start so a typo cannot silently shadow `sub` or `aud`.
 */
const RESERVED = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'scope',
  'gty',
  'permissions',
  'nonce',
  'auth_time',
  'amr',
  'acr',
  'cnf',
  'org_id',
  'org_name',
]);
const RESERVED_NAMESPACES = [
  /^https?:\/\/([\w-]+\.)*auth0\.com\//i,
  /^https?:\/\/([\w-]+\.)*webtask\.io\//i,
];

export function checkUserClaims(mapping: Record<string, string>): void {
  for (const [claim, key] of Object.entries(mapping)) {
    if (claim === '' || key === '')
      throw new Error('userClaims: claim names and keys must not be empty');
    if (RESERVED.has(claim) || RESERVED_NAMESPACES.some((re) => re.test(claim))) {
      throw new Error(`userClaims: "${claim}" is a claim Auth0 does not let an Action set`);
    }
  }
}

/** Only the keys the user has (null counts as unset), as an Action guarding on the value would. */
export function userClaims(
  mapping: Record<string, string>,
  appMetadata: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (!appMetadata) return claims;
  for (const [claim, key] of Object.entries(mapping)) {
    const value = Object.hasOwn(appMetadata, key) ? appMetadata[key] : undefined;
    if (value !== undefined && value !== null) claims[claim] = value;
  }
  return claims;
}
