import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import type { Refusal } from './clientAuth';
import type { EmulatorContext } from './context';
import { signJwt } from './jwt';
import type { EmulatorClient } from './types';

// What every grant of POST /oauth/token has in common: a grant decides who the token is for
// and what it says, then one place signs it and answers like Auth0.

/** The claims a grant decides; iss, iat, exp, jti and azp are added when signing. */
export interface TokenContents {
  sub: string;
  /** An array when the token is also good for /userinfo (scope openid), as Auth0 does. */
  aud: string | string[];
  scope: string;
  gty: 'client-credentials' | 'password';
  /** Custom claims (what a post-login Action adds). */
  extra?: Record<string, unknown>;
  /** What the log line names, never a secret or a password. */
  log: Record<string, unknown>;
}

export type Grant = (
  ctx: EmulatorContext,
  body: unknown,
  client: EmulatorClient,
) => TokenContents | Refusal | Promise<TokenContents | Refusal>;

export function sendToken(
  ctx: EmulatorContext,
  res: Response,
  client: EmulatorClient,
  contents: TokenContents,
): void {
  const iat = Math.floor(Date.now() / 1000);
  const lifetime = client.tokenLifetimeSeconds ?? ctx.tokenLifetimeSeconds;
  const { sub, aud, scope, gty, extra, log } = contents;
  const accessToken = signJwt(ctx.key, {
    ...extra,
    iss: `${ctx.origin.url}/`,
    sub,
    aud,
    iat,
    exp: iat + lifetime,
    jti: randomUUID(),
    scope,
    gty,
    azp: client.clientId,
  });
  ctx.logger?.info(
    { clientId: client.clientId, gty, ...log },
    'auth0 emulator: issued access token',
  );
  res
    .set('Cache-Control', 'no-store')
    .set('Pragma', 'no-cache')
    .json({
      access_token: accessToken,
      scope,
      expires_in: Math.max(0, lifetime),
      token_type: 'Bearer',
    });
}
