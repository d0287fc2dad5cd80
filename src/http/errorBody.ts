import { z } from 'zod';

/**
 * The one error shape every endpoint answers with. The error handler types its responses
 * with it and the OpenAPI document is generated from it, so the two cannot drift apart.
 */

export const FieldErrorsSchema = z.record(z.string(), z.array(z.string())).meta({
  description:
    'Field name (email, password, passwordConfirm, schoolName, or body for the request as a whole) → messages to show next to that field.',
});

const errorObject = <Code extends z.ZodType<string>>(code: Code) =>
  z.object({
    code,
    message: z.string().meta({ description: 'A sentence a person can read.' }),
    details: FieldErrorsSchema.optional(),
  });

export const ErrorBodySchema = z.object({
  error: errorObject(z.string().meta({ description: 'Stable, machine-readable error code.' })),
});

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The same shape, narrowed to the codes one status can carry (for the API document). */
export function errorBodyWithCodes(codes: readonly [string, ...string[]]) {
  return z.object({ error: errorObject(z.enum(codes)) });
}

/** The answer to an error that is not one of ours (a bug); its details stay in the log. */
export const INTERNAL_ERROR_BODY: ErrorBody = Object.freeze({
  error: Object.freeze({ code: 'internal_error', message: 'Something went wrong.' }),
});
