import { payloadValidationMessage } from './errors';

// Validates POST /api/v2/users bodies the way Auth0's JSON schema does, reproducing its
// messages (e.g. "Payload validation error: 'Additional properties not allowed: foo'.").
// Descriptions are Auth0's own schema texts; they appear in the error messages.

type FieldType = 'string' | 'boolean' | 'object';

const FIELDS = {
  email: { type: 'string', description: "The user's email" },
  phone_number: {
    type: 'string',
    description:
      "The user's phone number (following the E.164 recommendation), only valid for users from SMS connections",
  },
  user_metadata: {
    type: 'object',
    description:
      "Data related to the user that does not affect the application's core functionality",
  },
  app_metadata: {
    type: 'object',
    description: "Data related to the user that does affect the application's core functionality",
  },
  blocked: {
    type: 'boolean',
    description: 'Whether this user was blocked by an administrator (true) or not (false)',
  },
  email_verified: {
    type: 'boolean',
    description: 'Whether this email address is verified (true) or unverified (false)',
  },
  phone_verified: {
    type: 'boolean',
    description: 'Whether this phone number has been verified (true) or not (false)',
  },
  given_name: { type: 'string', description: "The user's given name(s)" },
  family_name: { type: 'string', description: "The user's family name(s)" },
  name: { type: 'string', description: "The user's full name" },
  nickname: { type: 'string', description: "The user's nickname" },
  picture: { type: 'string', description: "A URI pointing to the user's picture" },
  user_id: {
    type: 'string',
    description: "The external user's id provided by the identity provider",
  },
  connection: {
    type: 'string',
    description: 'Name of the connection this user should be created in',
  },
  password: {
    type: 'string',
    description: 'Initial password for this user (mandatory only for auth0 connection strategy)',
  },
  verify_email: {
    type: 'boolean',
    description:
      'Whether the user will receive a verification email after creation (true) or no email (false)',
  },
  username: {
    type: 'string',
    description: "The user's username. Only valid if the connection requires a username",
  },
} as const satisfies Record<string, { type: FieldType; description: string }>;

type FieldName = keyof typeof FIELDS;
type TypeOf<T extends FieldType> = T extends 'string'
  ? string
  : T extends 'boolean'
    ? boolean
    : Record<string, unknown>;

export type CreateUserBody = { [K in FieldName]?: TypeOf<(typeof FIELDS)[K]['type']> } & {
  connection: string;
  email: string;
  password: string;
};

export type Validation = { ok: true; value: CreateUserBody } | { ok: false; message: string };

/** JSON-schema type names, which is what Auth0 prints ("found type integer"). */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const isField = (key: string): key is FieldName => Object.hasOwn(FIELDS, key);

// Pragmatic address check: one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function validateCreateUserBody(body: unknown): Validation {
  const fail = (problem: string, field?: FieldName): Validation => ({
    ok: false,
    message: payloadValidationMessage(
      problem,
      field === undefined ? undefined : `${field} (${FIELDS[field].description})`,
    ),
  });
  if (jsonType(body) !== 'object')
    return fail(`Expected type object but found type ${jsonType(body)}`);
  const input = body as Record<string, unknown>;
  const extra = Object.keys(input).filter((key) => !isField(key));
  if (extra.length > 0) return fail(`Additional properties not allowed: ${extra.join(',')}`);
  for (const [key, value] of Object.entries(input)) {
    if (!isField(key)) continue;
    const expected = FIELDS[key].type;
    if (jsonType(value) !== expected) {
      return fail(`Expected type ${expected} but found type ${jsonType(value)}`, key);
    }
  }
  // The emulator only has database connections, where connection, email and password are required.
  for (const required of ['connection', 'email', 'password'] as const) {
    if (input[required] === undefined) return fail(`Missing required property: ${required}`);
  }
  const email = input.email as string;
  if (!EMAIL.test(email)) {
    return fail(`Object didn't pass validation for format email: ${email}`, 'email');
  }
  return { ok: true, value: input as CreateUserBody };
}
