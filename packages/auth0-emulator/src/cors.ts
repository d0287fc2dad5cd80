import type { RequestHandler } from 'express';

/**
 * CORS for the routes a browser page calls directly: the token endpoint (Swagger UI's
 * "Authorize" on the service's /docs) and the discovery documents. Not a wildcard: any page
 * on the internet could then read tokens minted with the documented development secret
 * through the developer's browser. Loopback origins are the developer's own pages, which is
 * all a 127.0.0.1-only emulator serves; other origins must be listed (`corsOrigins`). No
 * credentials (cookies) are involved, so none are allowed.
 */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function cors(extraOrigins: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const allowed =
      origin !== undefined && (LOOPBACK_ORIGIN.test(origin) || extraOrigins.has(origin));
    if (allowed) res.set('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    // A preflight. Without the allow headers the browser refuses the real request itself.
    if (allowed) {
      res.set({
        'Access-Control-Allow-Methods': 'GET, POST',
        // Swagger UI adds X-Requested-With and, for HTTP Basic, Authorization.
        'Access-Control-Allow-Headers':
          req.get('access-control-request-headers') ?? 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.vary('Access-Control-Request-Headers');
    }
    res.status(204).end();
  };
}
