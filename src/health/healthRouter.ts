import { Router } from 'express';
import { z } from 'zod';
import { CatalogUnavailableError } from '../errors';

/**
 * /healthz says the process is alive (no dependencies: a restart would not fix them).
 * /readyz says it can serve signups now: the catalog database answers. A failed readiness
 * check uses the service's one error shape, so clients and logs need no special case.
 */

export const HealthStatusSchema = z.object({ status: z.literal('ok') });

export interface HealthDeps {
  /** Resolves when the catalog database answers; rejects (soon) when it does not. */
  checkCatalog: () => Promise<void>;
}

export function healthRouter({ checkCatalog }: HealthDeps): Router {
  const router = Router();
  // Probes must see the current state, never a cached answer.
  router.use(['/healthz', '/readyz'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies z.infer<typeof HealthStatusSchema>);
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await checkCatalog();
    } catch (error) {
      throw new CatalogUnavailableError(error);
    }
    res.json({ status: 'ok' } satisfies z.infer<typeof HealthStatusSchema>);
  });
  return router;
}
