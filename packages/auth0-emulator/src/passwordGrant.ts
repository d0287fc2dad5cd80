import { field, refuse, requestedAudience, type Refusal } from './clientAuth';
import { managementAudiences, type EmulatorContext } from './context';
import { hashPassword, verifyPassword } from './password';
import type { StoredUser } from './state';
import type { Grant, TokenContents } from './tokenGrant';
import { userClaims } from './userClaims';

// A person's token from their e-mail and password: Auth0's password-realm extension grant
// (the connection named as `realm`) and the plain Resource Owner Password grant
// (grant_type=password, the tenant's Default Directory), which is all Swagger UI's OAuth2
// "password" flow can send. Both for the users this emulator holds.

export const PASSWORD_REALM_GRANT = 'http://auth0.com/oauth/grant-type/password-realm';

/** Standard OIDC scopes a user token may carry besides the API's own. */
const OIDC_SCOPES = ['openid', 'profile', 'email'];

const WRONG_CREDENTIALS = refuse(403, 'invalid_grant', 'Wrong email or password.');

// An unknown user still costs one hash check, so response time does not tell which e-mail
// addresses have accounts. Made once, on the first such login.
let absentUserHash: Promise<string> | undefined;

async function checkCredentials(
  ctx: EmulatorContext,
  connection: string,
  username: string,
  password: string,
): Promise<StoredUser | undefined> {
  const user = ctx.store.findLogin(connection, username);
  if (!user) {
    absentUserHash ??= hashPassword('a password nobody has');
    await verifyPassword(password, await absentUserHash);
    return undefined;
  }
  return (await verifyPassword(password, user.password_hash)) ? user : undefined;
}

function connectionOf(ctx: EmulatorContext, body: unknown, withRealm: boolean): string | Refusal {
  if (!withRealm) {
    return (
      ctx.defaultDirectory ??
      refuse(500, 'server_error', 'Authorization server not configured with default connection.')
    );
  }
  const realm = field(body, 'realm');
  if (!realm) return refuse(400, 'invalid_request', 'Missing required parameter: realm');
  if (!ctx.connections.has(realm)) {
    return refuse(400, 'invalid_request', `Unknown or invalid realm: ${realm}`);
  }
  return realm;
}

function audienceOf(ctx: EmulatorContext, body: unknown): string | Refusal {
  const audience = requestedAudience(ctx, body);
  if (typeof audience !== 'string') return audience;
  if (managementAudiences(ctx.origin.url).includes(audience)) {
    return refuse(
      403,
      'access_denied',
      'The Auth0 emulator issues user tokens for custom APIs only, not the Management API',
    );
  }
  if (!ctx.apis.has(audience)) {
    return refuse(403, 'access_denied', `Service not enabled within domain: ${audience}`);
  }
  return audience;
}

export function passwordGrant(withRealm: boolean): Grant {
  return async (ctx, body): Promise<TokenContents | Refusal> => {
    const username = field(body, 'username');
    if (!username) return refuse(400, 'invalid_request', 'Missing required parameter: username');
    const password = field(body, 'password');
    if (!password) return refuse(400, 'invalid_request', 'Missing required parameter: password');
    const connection = connectionOf(ctx, body, withRealm);
    if (typeof connection !== 'string') return connection;
    const audience = audienceOf(ctx, body);
    if (typeof audience !== 'string') return audience;

    const user = await checkCredentials(ctx, connection, username, password);
    if (!user) {
      ctx.logger?.warn({ connection }, 'auth0 emulator: wrong email or password');
      return WRONG_CREDENTIALS;
    }
    // Only after the password: a wrong guess must not learn that the account is blocked.
    if (user.blocked) return refuse(401, 'unauthorized', 'user is blocked');

    // Without RBAC, Auth0 grants the requested scopes the API defines, plus OIDC ones.
    const apiScopes = ctx.apis.get(audience)?.scopes ?? [];
    const requested = field(body, 'scope')?.split(' ').filter(Boolean) ?? [];
    const scopes = [...new Set(requested)].filter(
      (s) => apiScopes.includes(s) || OIDC_SCOPES.includes(s),
    );
    return {
      sub: user.user_id,
      aud: scopes.includes('openid') ? [audience, `${ctx.origin.url}/userinfo`] : audience,
      scope: scopes.join(' '),
      gty: 'password',
      extra: userClaims(ctx.userClaims, user.app_metadata),
      log: { userId: user.user_id, audience, connection },
    };
  };
}
