import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { managementAudiences, type EmulatorContext } from './context';
import { sendOAuthError } from './errors';
import { jwks, signJwt } from './jwt';

// Authentication API subset: the client-credentials grant plus the discovery documents a
// resource server uses to verify the tokens. Errors follow Auth0's OAuth error shape.

const field = (body: unknown, name: string): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** client_secret_basic: Auth0 accepts credentials in an Authorization: Basic header too. */
function basicCredentials(req: Request): { id?: string; secret?: string } {
  const match = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (!match?.[1]) return {};
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return {};
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return {}; // malformed percent-encoding: treat as no credentials
  }
}

// Hashing first gives equal-length buffers, so the comparison time does not leak the secret.
const sameSecret = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export function oauthRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  const issuer = (): string => `${ctx.origin.url}/`;

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.json(jwks(ctx.key));
  });

  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: issuer(),
      jwks_uri: `${ctx.origin.url}/.well-known/jwks.json`,
      token_endpoint: `${ctx.origin.url}/oauth/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  router.post(
    '/oauth/token',
    express.json(),
    express.urlencoded({ extended: false }),
    (req, res) => {
      const body: unknown = req.body;
      const grantType = field(body, 'grant_type');
      if (!grantType) {
        return sendOAuthError(
          res,
          400,
          'invalid_request',
          'Missing required parameter: grant_type',
        );
      }
      if (grantType !== 'client_credentials') {
        return sendOAuthError(
          res,
          403,
          'unsupported_grant_type',
          `Unsupported grant type: ${grantType}`,
        );
      }
      const basic = basicCredentials(req);
      const clientId = field(body, 'client_id') ?? basic.id;
      if (!clientId) {
        return sendOAuthError(res, 400, 'invalid_request', 'Missing required parameter: client_id');
      }
      const secret = field(body, 'client_secret') ?? basic.secret;
      const client = ctx.clients.get(clientId);
      if (!client || secret === undefined || !sameSecret(secret, client.clientSecret)) {
        ctx.logger?.warn({ clientId }, 'auth0 emulator: client authentication failed');
        return sendOAuthError(res, 401, 'access_denied', 'Unauthorized');
      }
      const audience = field(body, 'audience');
      if (!audience) {
        return sendOAuthError(
          res,
          403,
          'access_denied',
          'No audience parameter was provided, and no default audience has been configured',
        );
      }
      const isManagement = managementAudiences(ctx.origin.url).includes(audience);
      if (!isManagement && !ctx.apis.has(audience)) {
        return sendOAuthError(
          res,
          403,
          'access_denied',
          `Service not enabled within domain: ${audience}`,
        );
      }
      const granted = isManagement ? client.scopes : client.apiGrants?.[audience];
      if (!granted) {
        return sendOAuthError(
          res,
          403,
          'access_denied',
          `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API.`,
        );
      }
      // A client may ask for a subset of its grant; asking for more is refused like Auth0 does.
      const requested = field(body, 'scope')?.split(' ').filter(Boolean);
      const missing = (requested ?? []).filter((s) => !granted.includes(s));
      if (missing.length > 0) {
        return sendOAuthError(
          res,
          403,
          'access_denied',
          `Client has not been granted scopes: ${missing.join(', ')}`,
        );
      }
      const scope = (requested ?? granted).join(' ');
      const iat = Math.floor(Date.now() / 1000);
      const lifetime = client.tokenLifetimeSeconds ?? ctx.tokenLifetimeSeconds;
      const accessToken = signJwt(ctx.key, {
        iss: issuer(),
        sub: `${clientId}@clients`,
        aud: audience,
        iat,
        exp: iat + lifetime,
        jti: randomUUID(),
        scope,
        gty: 'client-credentials',
        azp: clientId,
      });
      ctx.logger?.info({ clientId, audience }, 'auth0 emulator: issued access token');
      res
        .set('Cache-Control', 'no-store')
        .set('Pragma', 'no-cache')
        .json({
          access_token: accessToken,
          scope,
          expires_in: Math.max(0, lifetime),
          token_type: 'Bearer',
        });
    },
  );

  return router;
}
