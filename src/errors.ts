/**
 * The service's error family: every error a client may see is defined here, so its codes and
 * statuses can be read in one place. The HTTP mapping lives in http/errorHandler.ts and
 * renders them all as `{ error: { code, message, details? } }`. (Longer than most files: a
 * catalogue of small classes reads best in one piece.)
 */

/** Field name → messages, as a signup form shows them next to its inputs. */
export type FieldErrors = Record<string, string[]>;

/** `Retry-After` in whole seconds, at least 1 (0 would invite an immediate retry storm). */
const retryAfter = (seconds: number) => ({
  'Retry-After': String(Math.max(1, Math.ceil(seconds))),
});

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: FieldErrors | undefined;

  /** `cause` stays in the log (errorHandler logs 5xx errors), never in the response. */
  constructor(message: string, details?: FieldErrors, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }

  /** Extra response headers (e.g. Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly code = 'invalid_request';

  constructor(details: FieldErrors, message = 'The request has invalid fields.') {
    super(message, details);
  }
}

export class SchoolTakenError extends AppError {
  readonly status = 409;
  readonly code = 'school_taken';

  constructor() {
    super('A school with this name is already registered.', {
      schoolName: ['This school is already registered.'],
    });
  }
}

export class EmailTakenError extends AppError {
  readonly status = 409;
  readonly code = 'email_taken';

  constructor() {
    super('An account with this email already exists.', {
      email: ['An account with this email already exists.'],
    });
  }
}

/** A database with the school's name exists but is not ours: we never adopt or touch it. */
export class DatabaseNameUnavailableError extends AppError {
  readonly status = 409;
  readonly code = 'database_name_unavailable';

  constructor() {
    super('This school name cannot be used: its database name is already in use on the server.', {
      schoolName: ['This school name cannot be used. Please choose another name.'],
    });
  }
}

export class Auth0UnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'auth0_unavailable';

  constructor(
    readonly retryAfterSeconds: number,
    readonly reason: string,
  ) {
    super('The identity provider is unavailable. Please try again shortly.');
  }

  override headers(): Record<string, string> {
    return retryAfter(this.retryAfterSeconds);
  }
}

/**
 * A database (the catalog's, or a tenant's server) was briefly unreachable: restarting,
 * refusing connections, or out of pooled connections. Whatever the request had done was
 * undone; trying again shortly is expected to work.
 */
export class DatabaseUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'database_unavailable';

  constructor(options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(
      'The database is briefly unavailable. Nothing was created; please try again shortly.',
      undefined,
      options,
    );
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5;
  }

  readonly retryAfterSeconds: number;

  override headers(): Record<string, string> {
    return retryAfter(this.retryAfterSeconds);
  }
}

/**
 * Every connection the school's API may open on the tenant's server is busy (the hard cap,
 * TENANT_POOL_MAX_CONNECTIONS) and none came free in time. Nothing was done.
 */
export class TenantConnectionsBusyError extends AppError {
  readonly status = 503;
  readonly code = 'tenant_connections_busy';

  constructor(readonly retryAfterSeconds = 1) {
    super('The service is busy. Nothing was changed; please try again shortly.');
  }

  override headers(): Record<string, string> {
    return retryAfter(this.retryAfterSeconds);
  }
}

/**
 * The access token names no school this service serves: no tenant claim, a name that is not a
 * database name, or a school that is unknown, not ready, or deleted. No database was touched.
 */
export class TenantUnknownError extends AppError {
  readonly status = 403;
  readonly code = 'tenant_unknown';

  constructor() {
    super('The access token does not name a school served here.');
  }
}

/** The school is being moved to another server: reads work, changes wait for the switch. */
export class TenantReadOnlyError extends AppError {
  readonly status = 503;
  readonly code = 'tenant_read_only';

  constructor() {
    super('This school is being moved: changes are refused for a few seconds. Please try again.');
  }

  override headers(): Record<string, string> {
    return retryAfter(5);
  }
}

/** The school already has what the request would create (a lunch week, a student's order). */
export class ConflictError extends AppError {
  readonly status = 409;
  readonly code = 'conflict';

  constructor(message: string, details?: FieldErrors) {
    super(message, details);
  }
}

/** Auth0 answered something we cannot map to a user-facing error (a bug or a misconfiguration). */
export class Auth0RequestError extends AppError {
  readonly status = 502;
  readonly code = 'auth0_error';

  constructor(
    readonly upstreamStatus: number,
    readonly upstreamMessage: string,
  ) {
    super('The identity provider rejected the request.');
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code = 'payload_too_large';

  constructor(limit: string) {
    super(`The request body is larger than ${limit}.`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';

  constructor() {
    super('Send the request body as application/json.');
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(message = 'Not found.', details?: FieldErrors) {
    super(message, details);
  }
}

/** A tenant database step failed (CREATE DATABASE, a tenant migration). */
export class ProvisioningError extends AppError {
  readonly status = 500;
  readonly code = 'provisioning_failed';

  constructor(
    readonly step: string,
    readonly causeMessage: string,
    options?: { cause?: unknown },
  ) {
    // The cause lets isDatabaseUnavailable tell an outage from a real failure.
    super(
      'The school could not be set up. Nothing was created; please try again.',
      undefined,
      options,
    );
  }
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly code = 'rate_limited';

  constructor(private readonly retryAfterSeconds: number) {
    super('Too many signup attempts from your address. Please wait and try again.');
  }

  override headers(): Record<string, string> {
    return retryAfter(this.retryAfterSeconds);
  }
}

export class CatalogUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'catalog_unavailable';

  constructor(override readonly cause: unknown) {
    super('The catalog database is not reachable.');
  }
}

export class AccessTokenError extends AppError {
  readonly status = 401;
  readonly code = 'unauthorized';

  constructor(
    message: string,
    private readonly challenge: string,
  ) {
    super(message);
  }

  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': this.challenge };
  }
}

export class InsufficientScopeAppError extends AppError {
  readonly status = 403;
  readonly code = 'insufficient_scope';

  constructor(
    scope: string,
    private readonly challenge: string,
  ) {
    super(`The access token lacks the ${scope} scope.`);
  }

  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': this.challenge };
  }
}

/** A pre-signup rule refused the signup. The message is in the person's language. */
export class SignupDeniedError extends AppError {
  readonly status = 403;
  readonly code = 'signup_denied';

  constructor(
    userMessage: string,
    /** For the log only. */
    readonly logMessage: string,
  ) {
    super(userMessage);
  }
}

/**
 * A pre-signup rule produced something we refuse to send to Auth0 (or threw). A bug. The
 * code keeps its first name (rules were once called hooks): clients may match on it.
 */
export class InvalidRuleOutputError extends AppError {
  readonly status = 500;
  readonly code = 'invalid_hook_output';

  constructor(readonly problem: string) {
    super(
      'The signup could not be completed because of a configuration error. Nothing was created.',
    );
  }
}
