import express, { type ErrorRequestHandler, type Express } from 'express';
import type { EmulatorContext } from './context';
import { controlRoutes, type ControlHooks } from './controlRoutes';
import { sendManagementError, sendOAuthError } from './errors';
import type { Faults } from './faults';
import { oauthRoutes } from './oauthRoutes';
import type { Recorder } from './recorder';
import { usersRoutes } from './usersRoutes';

// Assembles the emulator's express app. Order matters: recording sees every request, the
// control API bypasses fault injection, and faults apply before any real handler runs.

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  return typeof err.status === 'number' && err.status >= 400 && err.status < 500
    ? err.status
    : undefined;
}

const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  const status = httpStatusOf(err);
  const isJsonSyntax = err instanceof SyntaxError;
  if (req.path === '/oauth/token') {
    return sendOAuthError(
      res,
      status ?? 500,
      status ? 'invalid_request' : 'server_error',
      'Invalid request payload',
    );
  }
  if (isJsonSyntax && status === 400) {
    // hapi's wording, which the Management API returns for unparseable JSON.
    return sendManagementError(res, 400, 'Invalid request payload JSON format');
  }
  if (status) return sendManagementError(res, status, 'Invalid request payload');
  sendManagementError(res, 500, 'Internal Server Error');
};

export function buildApp(
  ctx: EmulatorContext,
  recorder: Recorder,
  faults: Faults,
  control: ControlHooks | undefined,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(recorder.middleware());
  if (control) app.use('/__emulator', controlRoutes(control));
  app.use(faults.middleware());
  app.use(oauthRoutes(ctx));
  app.use('/api/v2', usersRoutes(ctx));
  app.use((_req, res) => sendManagementError(res, 404, 'Not Found'));
  app.use(errorHandler);
  return app;
}
