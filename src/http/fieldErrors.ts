import type { z } from 'zod';
import type { FieldErrors } from '../errors';

/**
 * zod issues as the `details` of a 400: field name → messages. Built in a Map, not an object
 * literal, so a client-sent key such as "__proto__" stays plain data.
 */
export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
  const details = new Map<string, string[]>();
  const add = (field: string, message: string) =>
    details.set(field, [...(details.get(field) ?? []), message]);
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(key, 'Unknown field.');
    } else {
      add(issue.path.length > 0 ? issue.path.join('.') : 'body', issue.message);
    }
  }
  return Object.fromEntries(details);
}
