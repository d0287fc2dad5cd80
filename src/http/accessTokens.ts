import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  auth,
  InsufficientScopeError,
  InvalidRequestError,
  UnauthorizedError,
} from 'express-oauth2-jwt-bearer';
import { AccessTokenError, InsufficientScopeAppError, ValidationError } from '../errors';

/**
 * Access tokens for this service's own API (API_AUDIENCE), issued by the Auth0 tenant (or the
 * local emulator): RS256 signature against its JWKS, issuer, audience and expiry, checked by
 * express-oauth2-jwt-bearer. Used by POST /users/sync and the school's /api.
 */

export interface AccessTokenSettings {
  /** This API's audience (API_AUDIENCE). */
  audience: string;
  /** The Auth0 tenant (or emulator) base URL that issues the tokens. */
  issuerBaseUrl: string;
}

export function requireAccessToken({
  audience,
  issuerBaseUrl,
}: AccessTokenSettings): RequestHandler {
  return auth({ audience, issuerBaseURL: issuerBaseUrl, tokenSigningAlg: 'RS256' });
}

/** express-oauth2-jwt-bearer's errors, in our error shape. `scope`: the one a route requires. */
export function accessTokenErrors(scope?: string): ErrorRequestHandler {
  return (error, _req, _res, next) => {
    if (error instanceof InsufficientScopeError && scope) {
      return next(new InsufficientScopeAppError(scope, error.headers['WWW-Authenticate']));
    }
    if (error instanceof InvalidRequestError && error.status === 400) {
      return next(new ValidationError({ authorization: [error.message] }, error.message));
    }
    if (error instanceof UnauthorizedError) {
      const message =
        error.message && error.message !== 'Unauthorized'
          ? `The access token is not valid: ${error.message}.`
          : 'An access token for this API is required.';
      return next(new AccessTokenError(message, error.headers['WWW-Authenticate']));
    }
    next(error);
  };
}
