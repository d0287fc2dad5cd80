import express, { Router, type Response } from 'express';
import { authenticateClient, field, type Refusal } from './clientAuth';
import { clientCredentialsGrant } from './clientCredentialsGrant';
import type { EmulatorContext } from './context';
import { cors } from './cors';
import { sendOAuthError } from './errors';
import { jwks } from './jwt';
import { PASSWORD_REALM_GRANT, passwordGrant } from './passwordGrant';
import { sendToken, type Grant } from './tokenGrant';

// Authentication API subset: the token endpoint (client credentials for machines, the
// password grants for people) plus the discovery documents a resource server uses to verify
// the tokens. Errors follow Auth0's OAuth error shape.

const GRANTS: Record<string, Grant> = {
  client_credentials: clientCredentialsGrant,
  password: passwordGrant(false),
  [PASSWORD_REALM_GRANT]: passwordGrant(true),
};

const isRefusal = (value: object): value is Refusal => 'error' in value;

const refuse = (res: Response, { status, error, description }: Refusal): void =>
  sendOAuthError(res, status, error, description);

export function oauthRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.use(['/oauth/token', '/.well-known'], cors(ctx.corsOrigins));

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.json(jwks(ctx.key));
  });

  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: `${ctx.origin.url}/`,
      jwks_uri: `${ctx.origin.url}/.well-known/jwks.json`,
      token_endpoint: `${ctx.origin.url}/oauth/token`,
      grant_types_supported: Object.keys(GRANTS),
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  router.post(
    '/oauth/token',
    express.json(),
    express.urlencoded({ extended: false }),
    async (req, res) => {
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
      const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
      if (!grant) {
        return sendOAuthError(
          res,
          403,
          'unsupported_grant_type',
          `Unsupported grant type: ${grantType}`,
        );
      }
      const auth = authenticateClient(ctx, req);
      if (!auth.ok) return refuse(res, auth.refusal);
      const outcome = await grant(ctx, body, auth.client);
      if (isRefusal(outcome)) return refuse(res, outcome);
      sendToken(ctx, res, auth.client, outcome);
    },
  );

  return router;
}
