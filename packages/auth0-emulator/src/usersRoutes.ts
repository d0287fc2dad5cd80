import express, { Router } from 'express';
import type { EmulatorContext } from './context';
import { validateCreateUserBody } from './createUserBody';
import { sendManagementError } from './errors';
import { managementGate, requireScope } from './managementGate';
import { hashPassword, meetsGoodPolicy } from './password';
import { project, queryString } from './queryParams';
import { searchUsers } from './searchRoute';
import { profileDefaults, toPublicUser } from './userStore';

// The slice of Management API v2 the product needs: create, look up, search and delete database
// users.

export function usersRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  const { store } = ctx;
  // Authentication and rate limiting run before the body is parsed, as in Auth0.
  router.use(managementGate(ctx), express.json());

  router.post('/users', requireScope('create:users'), async (req, res) => {
    const validation = validateCreateUserBody(req.body);
    if (!validation.ok) return sendManagementError(res, 400, validation.message, 'invalid_body');
    const body = validation.value;
    if (!ctx.connections.has(body.connection)) {
      return sendManagementError(
        res,
        400,
        'The connection does not exist.',
        'inexistent_connection',
      );
    }
    if (!meetsGoodPolicy(body.password)) {
      // Auth0 sends no errorCode for this one.
      return sendManagementError(res, 400, 'PasswordStrengthError: Password is too weak');
    }
    const email = body.email.toLowerCase();
    const conflict = (): boolean => store.exists(body.connection, email, body.user_id);
    const sendConflict = (): void =>
      sendManagementError(res, 409, 'The user already exists.', 'auth0_idp_error');
    if (conflict()) return sendConflict();
    const passwordHash = await hashPassword(body.password);
    // Checked again: a concurrent create of the same e-mail may have won during the hash.
    if (conflict()) return sendConflict();
    const defaults = profileDefaults(email);
    const user = store.create({
      idWithoutProvider: body.user_id,
      connection: body.connection,
      email,
      email_verified: body.email_verified ?? false,
      name: body.name ?? defaults.name,
      nickname: body.nickname ?? defaults.nickname,
      picture: body.picture ?? defaults.picture,
      given_name: body.given_name,
      family_name: body.family_name,
      username: body.username,
      phone_number: body.phone_number,
      phone_verified: body.phone_verified,
      blocked: body.blocked,
      app_metadata: body.app_metadata,
      user_metadata: body.user_metadata,
      password_hash: passwordHash,
    });
    ctx.logger?.info({ userId: user.user_id }, 'auth0 emulator: user created');
    res.status(201).json(toPublicUser(user));
  });

  router.get('/users', requireScope('read:users', 'read:user_idp_tokens'), searchUsers(ctx));

  router.get('/users-by-email', requireScope('read:users'), (req, res) => {
    const email = queryString(req, 'email');
    if (email === undefined) {
      return sendManagementError(
        res,
        400,
        "Query validation error: 'Missing required property: email'.",
        'invalid_query_string',
      );
    }
    res.json(store.findByEmail(email).map((u) => project(toPublicUser(u), req)));
  });

  router.get(
    '/users/:id',
    requireScope('read:users', 'read:current_user', 'read:user_idp_tokens'),
    (req, res) => {
      const user = store.get(String(req.params.id));
      if (!user)
        return sendManagementError(res, 404, 'The user does not exist.', 'inexistent_user');
      res.json(project(toPublicUser(user), req));
    },
  );

  // Auth0 answers 204 whether or not the user existed (deletes are idempotent).
  router.delete('/users/:id', requireScope('delete:users'), (req, res) => {
    if (store.delete(String(req.params.id))) {
      ctx.logger?.info({ userId: req.params.id }, 'auth0 emulator: user deleted');
    }
    res.status(204).end();
  });

  return router;
}
