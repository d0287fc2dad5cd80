import type { Locale, LocalizedText } from '../../i18n/locale';

/**
 * The pre-signup extension point, modelled on Auth0's Pre-User Registration trigger. A rule
 * sees the signup before anything is reserved or created, and may
 *  - deny it: `api.access.deny(logMessage, userMessage)` or
 *    `throw new PreUserRegistrationError(logMessage, userMessage)` (403 signup_denied; the
 *    log message stays in our log, the user message is what the person reads), or
 *  - add metadata to the Auth0 user: `api.user.setUserMetadata(key, value)` /
 *    `api.user.setAppMetadata(key, value)`.
 * Write your team's rules in ./rules.ts.
 */

export interface PreSignupEvent {
  /** Trimmed, lower-cased. */
  readonly email: string;
  /** The part after the last @, lower-cased. */
  readonly emailDomain: string;
  readonly schoolName: string;
  readonly dbName: string;
  /** The language the person's messages will be in (from Accept-Language). */
  readonly locale: Locale;
}

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface PreSignupApi {
  access: {
    /** Refuses the signup. `userMessage` may be one string or one per language. */
    deny(logMessage: string, userMessage?: string | LocalizedText): never;
  };
  user: {
    setUserMetadata(key: string, value: JsonValue): void;
    setAppMetadata(key: string, value: JsonValue): void;
  };
}

export type PreSignupRule = (event: PreSignupEvent, api: PreSignupApi) => void | Promise<void>;

/** Thrown by a rule to refuse a signup (Auth0's `PreUserRegistrationError`). */
export class PreUserRegistrationError extends Error {
  override name = 'PreUserRegistrationError';

  constructor(
    /** Why, for the operator's log; never shown to the person. */
    readonly logMessage: string,
    /** What the person reads; defaults to a generic "not allowed" message. */
    readonly userMessage?: string | LocalizedText,
  ) {
    super(logMessage);
  }
}
