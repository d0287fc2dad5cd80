import type { RequestHandler, Response } from 'express';
import { TenantUnknownError } from '../errors';
import type { ServedTenant, TenantDirectory } from './tenantDirectory';

/**
 * Which school a request of the school's API is for: the one its access token names in the
 * tenant claim (TENANT_CLAIM), added by the post-login Action from the user's
 * app_metadata.db_name. Never from the URL or the body, so a school's token cannot address
 * another school. A token without the claim, or naming no ready school, gets 403 before any
 * tenant database is touched. Runs after requireAccessToken (signature, issuer, audience,
 * expiry).
 */

/** What a database name can be (tenants/dbName.ts makes them); anything else is not ours. */
const DB_NAME = /^[a-z0-9_]{1,63}$/;

export function tenantFromToken(claim: string, directory: TenantDirectory): RequestHandler {
  return async (req, res, next) => {
    const named: unknown = req.auth?.payload[claim];
    if (typeof named !== 'string' || !DB_NAME.test(named)) throw new TenantUnknownError();
    const tenant = await directory.find(named);
    if (!tenant) throw new TenantUnknownError();
    res.locals.tenant = tenant;
    next();
  };
}

/** The school of a request that passed tenantFromToken. */
export function tenantOf(res: Response): ServedTenant {
  const tenant = res.locals.tenant as ServedTenant | undefined;
  if (!tenant) throw new Error('tenantFromToken did not run for this route');
  return tenant;
}
