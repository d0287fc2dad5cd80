import type { Request, RequestHandler, Response } from 'express';
import { managementAudiences, type EmulatorContext } from './context';
import { sendManagementError, sendTokenRejected } from './errors';
import { verifyJwt } from './jwt';

// Front door of /api/v2: bearer-token authentication, per-tenant rate limiting (with Auth0's
// x-ratelimit-* headers on every answer) and scope checks. Messages are Auth0's (a hapi app).

export interface Caller {
  clientId: string;
  scopes: string[];
}

type Authentication = { ok: true; caller: Caller } | { ok: false; reject: (res: Response) => void };

const callers = new WeakMap<Request, Caller>();

/** The emulator is one tenant: its Management API bucket's key. */
const TENANT = 'tenant';

function missingAuthentication(res: Response): void {
  res.set('WWW-Authenticate', 'Bearer');
  sendManagementError(res, 401, 'Missing authentication');
}

function authenticate(ctx: EmulatorContext, req: Request): Authentication {
  const header = req.get('authorization');
  const match = header === undefined ? null : /^Bearer(?:\s+(.*))?$/i.exec(header.trim());
  if (!match) return { ok: false, reject: missingAuthentication };
  const token = match[1]?.trim() ?? '';
  const result = verifyJwt(ctx.key, token, Math.floor(Date.now() / 1000));
  if (!result.ok) {
    if (result.reason === 'malformed') {
      // Yes, Auth0 really puts "Bearer" in errorCode here.
      return {
        ok: false,
        reject: (res) =>
          sendManagementError(res, 400, 'Bad HTTP authentication header format', 'Bearer'),
      };
    }
    const message =
      result.reason === 'expired'
        ? 'Expired token received for JSON Web Token validation'
        : 'Invalid token';
    return { ok: false, reject: (res) => sendTokenRejected(res, message) };
  }
  const { iss, aud, azp, scope } = result.payload;
  if (iss !== `${ctx.origin.url}/` || typeof azp !== 'string') {
    return { ok: false, reject: (res) => sendTokenRejected(res, 'Invalid token') };
  }
  if (typeof aud !== 'string' || !managementAudiences(ctx.origin.url).includes(aud)) {
    return {
      ok: false,
      reject: (res) => sendManagementError(res, 401, `Bad audience: ${String(aud)}`),
    };
  }
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
  return { ok: true, caller: { clientId: azp, scopes } };
}

export function managementGate(ctx: EmulatorContext): RequestHandler {
  return (req, res, next) => {
    const auth = authenticate(ctx, req);
    // One bucket for the whole tenant, as Auth0's Management API limit: every application,
    // and requests without a valid token, draw on it together.
    const decision = ctx.limiter.take(TENANT);
    res.set({
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
      'x-ratelimit-reset': String(decision.resetAt),
    });
    if (!decision.allowed) {
      res.set('retry-after', String(decision.retryAfter));
      ctx.logger?.warn({ path: req.path }, 'auth0 emulator: rate limit reached');
      return sendManagementError(res, 429, 'Global limit has been reached', 'too_many_requests');
    }
    if (!auth.ok) return auth.reject(res);
    callers.set(req, auth.caller);
    next();
  };
}

/** Passes when the token holds any of the scopes; Auth0 lists them all in the 403. */
export function requireScope(...anyOf: string[]): RequestHandler {
  return (req, res, next) => {
    const granted = callers.get(req)?.scopes ?? [];
    if (anyOf.some((scope) => granted.includes(scope))) return next();
    sendManagementError(
      res,
      403,
      `Insufficient scope, expected any of: ${anyOf.join(',')}`,
      'insufficient_scope',
    );
  };
}
