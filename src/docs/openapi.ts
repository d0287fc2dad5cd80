import { z } from 'zod';
import { version } from '../../package.json';
import { ErrorBodySchema, errorBodyWithCodes } from '../http/errorBody';
import { AccessTokenError, CatalogUnavailableError, InsufficientScopeAppError } from '../errors';
import { HealthStatusSchema } from '../health/healthRouter';
import { DEFAULT_READINESS_TIMEOUT_MS } from '../health/readiness';
import { SignupRequestSchema } from '../schools/signupRequest';
import { SignupResponseSchema } from '../schools/signupResponse';
import { SyncRequestSchema, SYNC_SCOPE } from '../sync/syncRoute';
import { SCHOOL_API_SCHEMAS, schoolApiPaths, schoolLoginScheme } from './schoolApiPaths';
import { signupErrors, type DocumentedError } from './signupErrors';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate and answer
 * with. OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what z.toJSONSchema emits.
 * Requests are documented as the client may send them (`io: 'input'`: before trimming and
 * lower-casing), responses as the server writes them (`io: 'output'`).
 */

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json: Json = z.toJSONSchema(schema, { target: 'draft-2020-12', io });
  delete json.$schema; // the document's dialect already says so
  return json;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

const STATUS_TITLES: Record<number, string> = {
  400: 'Invalid request',
  403: 'Signup denied by policy',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many signups',
  500: 'Signup failed on our side',
  502: 'Auth0 rejected the request',
  503: 'A dependency (Auth0 or a database) is briefly unavailable',
};

/** One response per status; its schema narrows `code` to the codes that status can carry. */
function errorResponses(errors: DocumentedError[]): Record<string, Json> {
  const byStatus = new Map<number, DocumentedError[]>();
  for (const e of errors) byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
  const responses: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = group.map((e) => e.code) as [string, ...string[]];
    const headerNames = [...new Set(group.flatMap((e) => e.headers))];
    responses[String(status)] = {
      description: [
        STATUS_TITLES[status] ?? 'Error',
        ...group.map((e) => `- \`${e.code}\`: ${e.when}`),
      ].join('\n\n'),
      headers: Object.fromEntries([
        ['x-request-id', headerRef('RequestId')],
        ...headerNames.map((h) => [h, headerRef(h.replace(/-/g, ''))]),
      ]),
      content: {
        'application/json': {
          schema: schemaOf(errorBodyWithCodes(codes), 'output'),
          examples: Object.fromEntries(
            group.map((e) => [e.code, { summary: e.code, value: e.example }]),
          ),
        },
      },
    };
  }
  return responses;
}

function jsonResponse(description: string, schema: Json, extra: Json = {}): Json {
  return {
    description,
    headers: { 'x-request-id': headerRef('RequestId') },
    content: { 'application/json': { schema } },
    ...extra,
  };
}

const SIGNUP_EXAMPLE = {
  email: 'ada@springfield.edu',
  password: 'Sup3r-secret',
  passwordConfirm: 'Sup3r-secret',
  schoolName: 'Springfield Elementary',
};

export interface OpenApiOptions {
  bodyLimit?: string;
  /** Where people get tokens for the school's API (Swagger UI's Authorize button). */
  schoolLogin?: { tokenUrl: string; clientId?: string };
}

export function buildOpenApiDocument(options: OpenApiOptions = {}): Json {
  const notReady = new CatalogUnavailableError(undefined);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tenant signup service',
      version,
      description:
        "Signs a school up: an Auth0 user plus the school's own migrated PostgreSQL database. Every error has the shape `{ error: { code, message, details? } }`, where `details` maps a field to messages to show next to it.",
    },
    tags: [
      { name: 'Signup', description: 'Create a school: account and database.' },
      {
        name: 'School API',
        description:
          "A school's own data, on its own database. Every request carries a user's access token for API_AUDIENCE; the school is the one its tenant claim names (TENANT_CLAIM).",
      },
      { name: 'Health', description: 'Probes for load balancers and orchestrators.' },
      { name: 'Docs', description: 'This document.' },
    ],
    paths: {
      '/users': {
        post: {
          operationId: 'signUp',
          tags: ['Signup'],
          summary: 'Sign a school up',
          description:
            'Reserves the school, creates the Auth0 user, creates and migrates the school database. It ends with a complete tenant or, after undoing the steps already done, with nothing.',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('SignupRequest'), example: SIGNUP_EXAMPLE },
            },
          },
          responses: {
            '201': jsonResponse('The school is ready.', ref('SignupResponse'), {
              headers: {
                'x-request-id': headerRef('RequestId'),
                Location: { description: 'The new user.', schema: { type: 'string' } },
              },
            }),
            ...errorResponses(signupErrors(options.bodyLimit ?? '10kb')),
          },
        },
      },
      '/users/sync': {
        post: {
          operationId: 'syncUser',
          tags: ['Signup'],
          summary: 'Record a user on first login (Auth0 post-login Action)',
          description: `Called by auth0-actions/post-login.js with a client-credentials access token for this API (audience API_AUDIENCE) carrying the \`${SYNC_SCOPE}\` scope. Records the user in the catalog's users idempotently: a repeated call changes nothing and answers \`unchanged\`. Users who signed up through POST /users are already linked to their school; social users have none until they create one.`,
          security: [{ bearerAuth: [SYNC_SCOPE] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(SyncRequestSchema, 'input') } },
          },
          responses: {
            '200': jsonResponse(
              'Already recorded (`unchanged` or `updated`).',
              ref('SyncResponse'),
            ),
            '201': jsonResponse('Recorded for the first time (`created`).', ref('SyncResponse')),
            '400': jsonResponse(
              'Invalid body.',
              schemaOf(errorBodyWithCodes(['invalid_request']), 'output'),
            ),
            '401': jsonResponse(
              'Missing, malformed, expired or wrongly addressed access token.',
              schemaOf(errorBodyWithCodes([new AccessTokenError('', '').code]), 'output'),
            ),
            '403': jsonResponse(
              `The token lacks the ${SYNC_SCOPE} scope.`,
              schemaOf(
                errorBodyWithCodes([new InsufficientScopeAppError(SYNC_SCOPE, '').code]),
                'output',
              ),
            ),
            '415': jsonResponse(
              'Body is not application/json.',
              schemaOf(errorBodyWithCodes(['unsupported_media_type']), 'output'),
            ),
          },
        },
      },
      ...schoolApiPaths(options.schoolLogin !== undefined),
      '/healthz': {
        get: {
          operationId: 'health',
          tags: ['Health'],
          summary: 'Liveness: the process is up',
          responses: { '200': jsonResponse('Alive.', ref('HealthStatus')) },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          tags: ['Health'],
          summary: `Readiness: the catalog database answers within ${DEFAULT_READINESS_TIMEOUT_MS} ms`,
          description:
            "Runs `select 1` on the catalog database through the service's own connection pool. 503 while the catalog is unreachable or slow; 200 again as soon as it answers.",
          responses: {
            '200': jsonResponse('Ready to take signups.', ref('HealthStatus')),
            '503': jsonResponse(
              'Not ready: the catalog database is unreachable or too slow.',
              schemaOf(errorBodyWithCodes([notReady.code]), 'output'),
            ),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApiDocument',
          tags: ['Docs'],
          summary: 'This document',
          responses: { '200': jsonResponse('OpenAPI 3.1 document.', { type: 'object' }) },
        },
      },
    },
    components: {
      schemas: {
        SignupRequest: schemaOf(SignupRequestSchema, 'input'),
        SignupResponse: schemaOf(SignupResponseSchema, 'output'),
        ErrorBody: schemaOf(ErrorBodySchema, 'output'),
        HealthStatus: schemaOf(HealthStatusSchema, 'output'),
        ...SCHOOL_API_SCHEMAS,
        SyncResponse: {
          type: 'object',
          required: ['outcome', 'user'],
          properties: {
            outcome: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
            user: {
              type: 'object',
              required: ['userId', 'email', 'school', 'createdAt', 'updatedAt'],
              properties: {
                userId: { type: 'string' },
                email: { type: 'string', format: 'email' },
                connection: { type: ['string', 'null'] },
                strategy: { type: ['string', 'null'] },
                school: {
                  description: "The user's school; null for social users without one.",
                  oneOf: [
                    {
                      type: 'object',
                      required: ['name', 'dbName'],
                      properties: { name: { type: 'string' }, dbName: { type: 'string' } },
                    },
                    { type: 'null' },
                  ],
                },
                createdAt: { type: 'string', format: 'date-time' },
                updatedAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        ...(options.schoolLogin
          ? {
              schoolLogin: schoolLoginScheme(
                options.schoolLogin.tokenUrl,
                options.schoolLogin.clientId,
              ),
            }
          : {}),
      },
      headers: {
        RequestId: {
          description: 'The request id (sent by the client as x-request-id, or generated).',
          schema: { type: 'string' },
        },
        RetryAfter: {
          description: 'Seconds to wait before trying again.',
          schema: { type: 'integer', minimum: 1 },
        },
      },
    },
  };
}
