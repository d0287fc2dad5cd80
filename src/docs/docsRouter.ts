import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { PUBLIC_DIR } from '../http/publicDir';
import { buildOpenApiDocument, type OpenApiOptions } from './openapi';

/**
 * GET /openapi.json and GET /docs (Swagger UI). Swagger UI comes from the swagger-ui-dist
 * package and is served from here, never a CDN: the service must work offline, and helmet's
 * CSP (script-src 'self') only allows our own origin anyway. The page is started by
 * public/docs.js, an external script, because the CSP forbids inline ones.
 */

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The only swagger-ui-dist files the page uses; its demo index.html stays unreachable. */
const SWAGGER_UI_FILES = new Set([
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/favicon-16x16.png',
  '/favicon-32x32.png',
]);

const onlySwaggerUiFiles: RequestHandler = (req, _res, next) => {
  if (SWAGGER_UI_FILES.has(req.path)) next();
  else next('router');
};

export function docsRouter(options: OpenApiOptions = {}): Router {
  // Built once: the schemas cannot change while the process runs.
  const document = buildOpenApiDocument(options);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const pages: Record<string, string> = {
    '/docs': 'docs.html',
    '/docs/docs.js': 'docs.js',
    '/docs/docs.css': 'docs.css',
  };
  for (const [url, file] of Object.entries(pages)) {
    router.get(url, (_req, res) => res.sendFile(path.join(PUBLIC_DIR, file)));
  }
  router.use(
    '/docs/swagger-ui',
    onlySwaggerUiFiles,
    express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d' }),
  );
  return router;
}
