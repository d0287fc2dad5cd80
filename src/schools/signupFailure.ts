import { isDatabaseUnavailable } from '../db/unavailable';
import { pgErrorCode } from '../db/knexFactory';
import { AppError, DatabaseUnavailableError } from '../errors';

/** What a failed signup tells its client, and what its row keeps for the reconciler. */

/**
 * A database that was briefly away (a restart, refused connections, no pooled connection
 * in time) at any step is a 503 the client may retry, not a failure of the signup itself.
 * So is a reservation that a reconciler rolled back because our owner lock looked lost
 * meanwhile (a restart of the catalog's server ends the session holding it).
 */
export function clientError(error: unknown): unknown {
  if (error instanceof AppError && !(error.cause !== undefined && isDatabaseUnavailable(error)))
    return error;
  if (isDatabaseUnavailable(error) || pgErrorCode(error) === NO_LONGER_PROVISIONING)
    return new DatabaseUnavailableError({ cause: error });
  return error;
}

/** Raised by the final step (completeSignup) when the row is no longer `provisioning`. */
const NO_LONGER_PROVISIONING = 'P0002';

/** A failure as the row's last_error keeps it: its code and message. */
export function describe(error: unknown): string {
  const e = error as { code?: unknown; causeMessage?: unknown; message?: unknown };
  return [e.code, e.causeMessage ?? e.message].filter((p) => typeof p === 'string').join(': ');
}
