import cors from 'cors';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { TooManyRequestsError } from '../errors';

/**
 * Cross-origin access for the configured frontends only (preflight included): the signup
 * form, and a school's app calling /api with its users' tokens.
 */
export function corsForOrigins(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'x-request-id', 'authorization'],
    exposedHeaders: ['x-request-id', 'retry-after', 'location'],
    maxAge: 600,
  });
}

/**
 * Per-client-IP limit on signups: each one creates a database and an Auth0 user, so it is
 * the endpoint worth protecting. Behind a proxy, set TRUST_PROXY so the client IP is right.
 */
export function signupRateLimit(options: { max: number; windowSeconds: number }): RequestHandler {
  return rateLimit({
    windowMs: options.windowSeconds * 1000,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, _res, next) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? (resetTime.getTime() - Date.now()) / 1000 : options.windowSeconds;
      next(new TooManyRequestsError(seconds));
    },
  });
}
