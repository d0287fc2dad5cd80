import type { JsonValue } from './types';

/**
 * Auth0's rules for metadata (https://auth0.com/docs/manage-users/user-accounts/metadata/
 * metadata-fields-data): field names contain neither `.` nor `$`, and app_metadata may not
 * use the names Auth0 keeps for itself. `db_name` and `signup_id` are ours: a rule never
 * overwrites them.
 */

export const AUTH0_RESERVED_APP_METADATA = new Set([
  '__tenant',
  '_id',
  'blocked',
  'clientID',
  'created_at',
  'email',
  'email_verified',
  'global_client_id',
  'globalClientID',
  'identities',
  'lastIP',
  'lastLogin',
  'loginsCount',
  'metadata',
  'updated_at',
  'user_id',
]);

export const OUR_APP_METADATA = new Set(['db_name', 'signup_id']);

/** Auth0 caps metadata size; we keep the rules' additions far below that. */
export const MAX_METADATA_BYTES = 16 * 1024;

export type MetadataKind = 'user_metadata' | 'app_metadata';

/** Returns the problem with a key, or undefined when Auth0 accepts it. */
export function keyProblem(kind: MetadataKind, key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return `${kind} key must be a non-empty string`;
  if (key.length > 255) return `${kind} key "${key.slice(0, 40)}…" is longer than 255 characters`;
  if (/[.$]/.test(key)) return `${kind} key "${key}" contains "." or "$"`;
  if (kind === 'app_metadata' && AUTH0_RESERVED_APP_METADATA.has(key)) {
    return `app_metadata key "${key}" is reserved by Auth0`;
  }
  if (kind === 'app_metadata' && OUR_APP_METADATA.has(key)) {
    return `app_metadata key "${key}" is set by the signup service and cannot be overwritten`;
  }
  return undefined;
}

/** Returns the problem with a value, or undefined when it is plain JSON with valid nested keys. */
export function valueProblem(kind: MetadataKind, path: string, value: unknown): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${kind}.${path} is not a finite number`;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = valueProblem(kind, `${path}[${i}]`, item);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '' || /[.$]/.test(key)) return `${kind}.${path} has an invalid key "${key}"`;
      const problem = valueProblem(kind, `${path}.${key}`, item);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${kind}.${path} is not JSON (${typeof value})`;
}

export function sizeProblem(kind: MetadataKind, metadata: Record<string, JsonValue>) {
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  return bytes > MAX_METADATA_BYTES
    ? `${kind} added by pre-signup rules is ${bytes} bytes (at most ${MAX_METADATA_BYTES})`
    : undefined;
}
