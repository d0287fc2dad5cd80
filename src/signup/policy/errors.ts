import { AppError } from '../../errors';

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

/** A pre-signup rule produced something we refuse to send to Auth0 (or threw). A bug. */
export class InvalidHookOutputError extends AppError {
  readonly status = 500;
  readonly code = 'invalid_hook_output';

  constructor(readonly problem: string) {
    super(
      'The signup could not be completed because of a configuration error. Nothing was created.',
    );
  }
}
