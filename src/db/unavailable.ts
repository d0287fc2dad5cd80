/**
 * Whether a database error means "the server is briefly away" rather than "this request is
 * wrong": the connection was refused, reset or cut, the server is shutting down or starting
 * up, or no pooled connection came free in time. The client should be told to retry (503),
 * not that something broke (500). Follows `cause` chains (ProvisioningError keeps its cause).
 */

/** SQLSTATEs of a server going away or not there yet. Class 08 is matched as a whole. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_ctl stop/restart -m fast, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
]);

/** Node socket errors of an unreachable or vanished server. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * node-postgres reports a cut connection by message only, without a code (and knex puts
 * the failed SQL in front of the message, so these are not anchored at the start).
 */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /Client was closed and is not queryable/,
  /timeout expired$/,
  /Knex: Timeout acquiring a connection/,
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const { code, name, message, cause } = e as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      if (code.startsWith('08') && code.length === 5) return true;
      if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
    }
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message)))
      return true;
    e = cause;
  }
  return false;
}
