import {
  Auth0RequestError,
  Auth0UnavailableError,
  DatabaseNameUnavailableError,
  DatabaseUnavailableError,
  EmailTakenError,
  InvalidRuleOutputError,
  PayloadTooLargeError,
  ProvisioningError,
  SchoolTakenError,
  SignupDeniedError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
  type AppError,
} from '../errors';
import { INTERNAL_ERROR_BODY, type ErrorBody } from '../http/errorBody';

/**
 * Every error POST /users can answer, built from the error classes the code really throws
 * (so a renamed code or message shows up in the document by itself), with when it happens.
 */

export interface DocumentedError {
  status: number;
  code: string;
  /** Header names the response carries (e.g. Retry-After). */
  headers: string[];
  example: ErrorBody;
  when: string;
}

function documented(error: AppError, when: string): DocumentedError {
  return {
    status: error.status,
    code: error.code,
    headers: Object.keys(error.headers()),
    example: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
    },
    when,
  };
}

export function signupErrors(bodyLimit: string): DocumentedError[] {
  return [
    documented(
      new ValidationError({
        email: ['Enter a valid email address.'],
        passwordConfirm: ['Passwords do not match.'],
      }),
      "Malformed JSON (details.body), missing, ill-typed or unknown fields, a bad email, passwords that differ, a school name with no usable or a reserved database name, or a password Auth0's policy refuses (Auth0's message on details.password).",
    ),
    documented(
      new SignupDeniedError('Signups from this email domain are not accepted.', 'example'),
      "A pre-signup rule refused the signup (e.g. SIGNUP_BLOCKED_EMAIL_DOMAINS). The message is in the client's language (Accept-Language: English or Spanish). Nothing was created.",
    ),
    documented(
      new SchoolTakenError(),
      "The school's database name is already registered (checked before any Auth0 call).",
    ),
    documented(
      new EmailTakenError(),
      'An account with this email exists (in the catalog or in Auth0).',
    ),
    documented(
      new DatabaseNameUnavailableError(),
      'A database with that name exists on the server but is not one of ours; it is left alone.',
    ),
    documented(new PayloadTooLargeError(bodyLimit), `The body is larger than ${bodyLimit}.`),
    documented(new UnsupportedMediaTypeError(), 'The body is not application/json.'),
    documented(
      new TooManyRequestsError(60),
      'Too many signups from this client address within the window; retry after Retry-After seconds.',
    ),
    documented(
      new ProvisioningError('migrate', 'example'),
      'Creating or migrating the school database failed; everything was undone.',
    ),
    documented(
      new InvalidRuleOutputError('example'),
      'A pre-signup rule returned metadata Auth0 would refuse (or threw): a configuration error on our side. Nothing was created.',
    ),
    {
      status: 500,
      code: INTERNAL_ERROR_BODY.error.code,
      headers: [],
      example: INTERNAL_ERROR_BODY,
      when: 'An unexpected failure (a bug); the log has the details under the x-request-id.',
    },
    documented(
      new Auth0RequestError(403, 'example'),
      'Auth0 answered something the service cannot map: a bug or a misconfigured Machine-to-Machine app (see the log).',
    ),
    documented(
      new Auth0UnavailableError(30, 'example'),
      'Auth0 is unreachable, timing out, failing or rate limiting beyond the retry budget; retry after Retry-After seconds.',
    ),
    documented(
      new DatabaseUnavailableError(),
      'A database was briefly unreachable at some step (restarting, refusing connections, no pooled connection free in time); everything was undone. Retry after Retry-After seconds. A real failure of the tenant schema stays 500 provisioning_failed.',
    ),
  ];
}
