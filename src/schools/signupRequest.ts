import { z } from 'zod';
import { ValidationError } from '../errors';
import { fieldErrorsFrom } from '../http/fieldErrors';

/**
 * What a signup form may send, and the messages a person sees next to each field.
 * Password *strength* is Auth0's call (its tenant policy is the source of truth); we only
 * bound the length so an absurd body never reaches it.
 */

const CONTROL_CHARS = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

const requiredString = (label: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `${label} is required.` : `${label} must be text.`,
  });

export const SignupRequestSchema = z
  .strictObject(
    {
      email: requiredString('Email')
        .trim()
        .toLowerCase()
        .max(254, 'Email must be at most 254 characters.')
        .pipe(z.email({ error: 'Enter a valid email address.' }))
        .meta({ description: 'Trimmed and lower-cased, then a valid email address (≤ 254).' }),
      password: requiredString('Password')
        .min(1, 'Password is required.')
        .max(128, 'Password must be at most 128 characters.')
        .meta({
          description:
            "At most 128 characters. Strength is the Auth0 tenant's password policy (the local emulator applies Auth0's good policy: at least 8 characters with 3 of lower case, upper case, digits, special characters); a rejection is a 400 with details.password.",
        }),
      passwordConfirm: requiredString('Password confirmation')
        .optional()
        .meta({ description: 'Optional; when sent it must equal password.' }),
      schoolName: requiredString('School name')
        .refine((s) => !CONTROL_CHARS.test(s), 'School name must not contain control characters.')
        .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
        .pipe(
          z
            .string()
            .min(2, 'School name must be at least 2 characters.')
            .max(200, 'School name must be at most 200 characters.'),
        )
        .meta({
          description:
            "2–200 characters once trimmed and whitespace-collapsed, no control characters, with letters or digits. Its slug is the school's database name (see the README), so names differing only in case, spacing or accents are the same school.",
        }),
    },
    { error: 'Send a JSON object with email, password and schoolName.' },
  )
  .refine((b) => b.passwordConfirm === undefined || b.passwordConfirm === b.password, {
    path: ['passwordConfirm'],
    message: 'Passwords do not match.',
  });

export type SignupRequest = z.infer<typeof SignupRequestSchema>;

/** Validates a request body into a signup request (400 with field details otherwise). */
export function parseSignupRequest(body: unknown): SignupRequest {
  const parsed = SignupRequestSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldErrorsFrom(parsed.error));
  const { email, password, schoolName } = parsed.data;
  return { email, password, schoolName };
}
