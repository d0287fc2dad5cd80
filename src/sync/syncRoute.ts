import { Router } from 'express';
import { requiredScopes } from 'express-oauth2-jwt-bearer';
import { z } from 'zod';
import type { UsersRepository } from '../catalog/usersRepository';
import { ValidationError } from '../errors';
import {
  accessTokenErrors,
  requireAccessToken,
  type AccessTokenSettings,
} from '../http/accessTokens';
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

export interface SyncDeps extends AccessTokenSettings {
  users: UsersRepository;
  logger: Logger;
}

export function syncRouter(deps: SyncDeps): Router {
  const router = Router();
  router.post(
    '/users/sync',
    requireAccessToken(deps),
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
  router.use('/users/sync', accessTokenErrors(SYNC_SCOPE));
  return router;
}
