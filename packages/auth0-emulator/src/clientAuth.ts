import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { EmulatorContext } from './context';
import type { EmulatorClient } from './types';

// Who is asking for a token. Confidential clients prove it with their secret (in the body,
// client_secret_post, or HTTP Basic, client_secret_basic); public clients (Auth0's
// token_endpoint_auth_method "none": SPAs, native apps, Swagger UI) have no secret to prove.

/** An OAuth error answer, in Auth0's { error, error_description } shape. */
export interface Refusal {
  status: number;
  error: string;
  description: string;
}

export const refuse = (status: number, error: string, description: string): Refusal => ({
  status,
  error,
  description,
});

export const field = (body: unknown, name: string): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * The audience asked for, or the tenant's Default Audience, which Auth0 applies to every
 * grant. Neither: refused (Auth0 would issue an opaque /userinfo token; there is no
 * /userinfo here).
 */
export function requestedAudience(ctx: EmulatorContext, body: unknown): string | Refusal {
  return (
    field(body, 'audience') ??
    ctx.defaultAudience ??
    refuse(
      403,
      'access_denied',
      'No audience parameter was provided, and no default audience has been configured',
    )
  );
}

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

export function authenticateClient(
  ctx: EmulatorContext,
  req: Request,
): { ok: true; client: EmulatorClient } | { ok: false; refusal: Refusal } {
  const body: unknown = req.body;
  const basic = basicCredentials(req);
  const clientId = field(body, 'client_id') ?? basic.id;
  if (!clientId) {
    return {
      ok: false,
      refusal: refuse(400, 'invalid_request', 'Missing required parameter: client_id'),
    };
  }
  const client = ctx.clients.get(clientId);
  // A public client has no secret to check; whatever secret it sends (Swagger UI sends an
  // empty one in HTTP Basic) proves nothing and is ignored.
  if (client && client.clientSecret === undefined) return { ok: true, client };
  const secret = field(body, 'client_secret') ?? basic.secret;
  if (!client?.clientSecret || secret === undefined || !sameSecret(secret, client.clientSecret)) {
    ctx.logger?.warn({ clientId }, 'auth0 emulator: client authentication failed');
    return { ok: false, refusal: refuse(401, 'access_denied', 'Unauthorized') };
  }
  return { ok: true, client };
}
