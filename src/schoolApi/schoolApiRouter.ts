import { Router } from 'express';
import {
  accessTokenErrors,
  requireAccessToken,
  type AccessTokenSettings,
} from '../http/accessTokens';
import { lunchWeeksRouter } from './lunchWeeks';
import { menuItemsRouter } from './menuItems';
import { ordersRouter } from './orders';
import { studentsRouter } from './students';
import { runOnTenant, type TenantConnections } from './tenantDatabase';
import type { TenantDirectory } from './tenantDirectory';
import { tenantFromToken } from './tenantIdentity';

/**
 * /api: the school's own API, for the app its users open. Every request carries a user's
 * access token for API_AUDIENCE; the school is the one the token's tenant claim names, and
 * every query runs on that school's database through the bounded tenant pools.
 */

export interface SchoolApiDeps extends AccessTokenSettings {
  /** The access-token claim naming the school's database (TENANT_CLAIM). */
  tenantClaim: string;
  directory: TenantDirectory;
  pools: TenantConnections;
}

export function schoolApiRouter(deps: SchoolApiDeps): Router {
  const api = Router();
  api.use(requireAccessToken(deps), tenantFromToken(deps.tenantClaim, deps.directory));
  const run = runOnTenant(deps.pools, deps.directory);
  api.use(studentsRouter(run), menuItemsRouter(run), lunchWeeksRouter(run), ordersRouter(run));
  api.use(accessTokenErrors());

  const router = Router();
  router.use('/api', api);
  return router;
}
