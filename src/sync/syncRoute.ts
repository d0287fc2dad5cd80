import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import {
  auth,
  InsufficientScopeError,
  InvalidRequestError,
  requiredScopes,
  UnauthorizedError,
} from 'express-oauth2-jwt-bearer';
import { z } from 'zod';
import type { UsersRepository } from '../catalog/usersRepository';
import { AccessTokenError, InsufficientScopeAppError, ValidationError } from '../errors';
import { fieldErrorsFrom } from '../http/fieldErrors';
import { requireJson } from '../http/requireJson';
import type { Logger } from '../logger';

/**
 * POST /users/sync: called by the Auth0 post-login Action (auth0-actions/post-login.js) on
 * a user's first login, with a client-credentials access token for this API carrying the
 * `sync:users` scope. Records the user in the catalog, idempotently.
 */

export const SYNC_SCOPE = 'sync:users';

export const SyncRequestSchema = z
  .strictObject({
    user_id: z.string().trim().min(1).max(255),
    email: z.string().trim().toLowerCase().max(254).pipe(z.email()),
    connection: z.string().trim().min(1).max(255).optional(),
    strategy: z.string().trim().min(1).max(255).optional(),
  })
  .refine((b) => b.connection !== undefined || b.strategy !== undefined, {
    path: ['connection'],
    message: 'Send connection or strategy.',
  });

/** express-oauth2-jwt-bearer's errors, in our error shape. */
const toAppError: ErrorRequestHandler = (error, _req, _res, next) => {
  if (error instanceof InsufficientScopeError) {
    return next(new InsufficientScopeAppError(SYNC_SCOPE, error.headers['WWW-Authenticate']));
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

export interface SyncDeps {
  users: UsersRepository;
  logger: Logger;
  /** This API's audience (API_AUDIENCE). */
  audience: string;
  /** The Auth0 tenant (or emulator) base URL that issues the tokens. */
  issuerBaseUrl: string;
}

export function syncRouter(deps: SyncDeps): Router {
  const router = Router();
  const checkJwt: RequestHandler = auth({
    audience: deps.audience,
    issuerBaseURL: deps.issuerBaseUrl,
    tokenSigningAlg: 'RS256',
  });
  router.post(
    '/users/sync',
    checkJwt,
    requiredScopes(SYNC_SCOPE),
    requireJson,
    async (req, res) => {
      const parsed = SyncRequestSchema.safeParse(req.body);
      if (!parsed.success) throw new ValidationError(fieldErrorsFrom(parsed.error));
      const { user_id: userId, email, connection, strategy } = parsed.data;
      const { user, outcome } = await deps.users.upsert({
        userId,
        email,
        connection: connection ?? null,
        strategy: strategy ?? null,
      });
      if (outcome !== 'unchanged') deps.logger.info({ userId, outcome }, 'user synced');
      res.status(outcome === 'created' ? 201 : 200).json({
        outcome,
        user: {
          userId: user.userId,
          email: user.email,
          connection: user.connection,
          strategy: user.strategy,
          school: user.school,
          createdAt: user.createdAt.toISOString(),
          updatedAt: user.updatedAt.toISOString(),
        },
      });
    },
  );
  router.use('/users/sync', toAppError);
  return router;
}
