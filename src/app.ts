import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from './config';
import { docsRouter } from './docs/docsRouter';
import { healthRouter, type HealthDeps } from './health/healthRouter';
import { errorHandler, notFound } from './http/errorHandler';
import { corsForOrigins, signupRateLimit } from './http/security';
import type { Logger } from './logger';
import { schoolApiRouter, type SchoolApiDeps } from './schoolApi/schoolApiRouter';
import { signupPageRouter } from './schools/signupPage';
import { signupRouter } from './schools/signupRoute';
import type { SignupDeps } from './schools/signUp';
import { syncRouter, type SyncDeps } from './sync/syncRoute';

export interface AppDeps {
  config: Pick<Config, 'env' | 'http' | 'signup'>;
  logger: Logger;
  signup: SignupDeps;
  health: HealthDeps;
  /** POST /users/sync (the Auth0 post-login Action's endpoint); not mounted when absent. */
  sync?: SyncDeps;
  /** The school's own API (/api); not mounted when absent. */
  schoolApi?: SchoolApiDeps;
  /** Where /docs signs people in for the school's API (the Auth0 tenant's token endpoint). */
  schoolLogin?: { tokenUrl: string; clientId?: string };
}

/** Builds the HTTP app from its dependencies; listening is server.ts's business. */
export function createApp(deps: AppDeps): Express {
  const { config, logger, signup, health, sync, schoolApi, schoolLogin } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        // Outside production the page is often opened over plain HTTP from another device
        // (a phone on the LAN); upgrade-insecure-requests would make its CSS and JS fail.
        directives: {
          ...(config.env === 'production' ? {} : { upgradeInsecureRequests: null }),
          // /docs asks the Auth0 tenant (another origin) for tokens from the browser.
          connectSrc: ["'self'", ...(schoolLogin ? [new URL(schoolLogin.tokenUrl).origin] : [])],
        },
      },
    }),
  );
  app.use(corsForOrigins(config.http.corsOrigins));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Headers and bodies are left out on purpose: they carry passwords and tokens.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(express.json({ limit: config.http.bodyLimit, strict: true }));

  // Counted before validation, so a flood of bad bodies is limited too.
  app.post('/users', signupRateLimit(config.signup.rateLimit));
  app.use(signupRouter(signup));
  if (sync) app.use(syncRouter(sync));
  if (schoolApi) app.use(schoolApiRouter(schoolApi));
  app.use(healthRouter(health));
  app.use(docsRouter({ bodyLimit: config.http.bodyLimit, schoolLogin }));
  app.use(signupPageRouter());

  app.use(notFound);
  app.use(errorHandler(config.http.bodyLimit));
  return app;
}
