import { z } from 'zod';
import { errorBodyWithCodes } from '../http/errorBody';
import { NewLunchWeek } from '../schoolApi/lunchWeeks';
import { NewMenuItem } from '../schoolApi/menuItems';
import { NewOrder } from '../schoolApi/orders';
import { NewStudent, StudentChanges } from '../schoolApi/students';

/**
 * The school's API (/api) in the OpenAPI document: its paths, schemas and security scheme.
 * Request bodies come from the zod schemas the routes validate with.
 */

type Json = Record<string, unknown>;

const schemaOf = (schema: z.ZodType): Json => {
  const json: Json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  delete json.$schema;
  return json;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const RETRY_AFTER = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

const error = (description: string, codes: [string, ...string[]], headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: {
    'application/json': {
      schema: { ...schemaOf(errorBodyWithCodes(codes)) },
    },
  },
});

/** What every /api operation can answer besides its own outcomes. */
const COMMON_ERRORS = {
  '401': error('No access token, or one that is expired, forged or for another audience.', [
    'unauthorized',
  ]),
  '403': error(
    'The token names no school served here (no tenant claim, unknown, not ready or deleted).',
    ['tenant_unknown'],
  ),
  '503': error(
    "Briefly unavailable: every connection the school's server may have is busy, the school is being moved (reads still work), or its database server is away. Nothing was changed.",
    ['tenant_connections_busy', 'tenant_read_only', 'database_unavailable'],
    RETRY_AFTER,
  ),
};
const INVALID = error('Invalid fields, listed in `details`.', ['invalid_request']);
const NOT_JSON = error('Body is not application/json.', ['unsupported_media_type']);
const NOT_FOUND = error('No such row in this school (ids of other schools mean nothing here).', [
  'not_found',
]);
const CONFLICT = error('It exists already.', ['conflict']);

const ok = (description: string, schema: Json) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: schemaOf(schema) } },
});
const page = (item: string) => ({
  type: 'object',
  required: ['items', 'next'],
  properties: {
    items: { type: 'array', items: ref(item) },
    next: {
      type: ['string', 'null'],
      description: 'Pass as `after` for the next page; null on the last page.',
    },
  },
});
const PAGE_PARAMS = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  },
  {
    name: 'after',
    in: 'query',
    schema: { type: 'string' },
    description: "The previous page's `next`.",
  },
];
const ID_PARAM = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};

function operation(security: Json[], summary: string, responses: Json, extra: Json): Json {
  return {
    tags: ['School API'],
    summary,
    security,
    ...extra,
    responses: { ...responses, ...COMMON_ERRORS },
  };
}

export function schoolApiPaths(withLogin: boolean): Json {
  const security = withLogin ? [{ schoolLogin: [] }, { bearerAuth: [] }] : [{ bearerAuth: [] }];
  const op = (summary: string, responses: Json, extra: Json) =>
    operation(security, summary, responses, extra);
  return {
    '/api/students': {
      get: op(
        'List students',
        { '200': ok('A page of students.', page('Student')), '400': INVALID },
        { operationId: 'listStudents', parameters: PAGE_PARAMS },
      ),
      post: op(
        'Add a student',
        { '201': ok('Created.', ref('Student')), '400': INVALID, '415': NOT_JSON },
        { operationId: 'createStudent', requestBody: body(NewStudent) },
      ),
    },
    '/api/students/{id}': {
      parameters: [ID_PARAM],
      get: op(
        'Get a student',
        { '200': ok('The student.', ref('Student')), '404': NOT_FOUND },
        { operationId: 'getStudent' },
      ),
      patch: op(
        'Change a student',
        {
          '200': ok('Changed.', ref('Student')),
          '400': INVALID,
          '404': NOT_FOUND,
          '415': NOT_JSON,
        },
        { operationId: 'updateStudent', requestBody: body(StudentChanges) },
      ),
      delete: op(
        'Remove a student and their orders',
        { '204': { description: 'Removed.' }, '404': NOT_FOUND },
        { operationId: 'deleteStudent' },
      ),
    },
    '/api/menu-items': {
      get: op(
        'List menu items',
        { '200': ok('A page of menu items.', page('MenuItem')), '400': INVALID },
        { operationId: 'listMenuItems', parameters: PAGE_PARAMS },
      ),
      post: op(
        'Add a menu item',
        { '201': ok('Created.', ref('MenuItem')), '400': INVALID, '415': NOT_JSON },
        { operationId: 'createMenuItem', requestBody: body(NewMenuItem) },
      ),
    },
    '/api/lunch-weeks': {
      get: op(
        'List lunch weeks with their menu',
        {
          '200': ok('A page of weeks, by date; `next` is a date.', page('LunchWeek')),
          '400': INVALID,
        },
        { operationId: 'listLunchWeeks', parameters: PAGE_PARAMS },
      ),
      post: op(
        'Add a lunch week (starting on a Monday)',
        {
          '201': ok('Created.', ref('LunchWeek')),
          '400': INVALID,
          '404': NOT_FOUND,
          '409': CONFLICT,
          '415': NOT_JSON,
        },
        { operationId: 'createLunchWeek', requestBody: body(NewLunchWeek) },
      ),
    },
    '/api/orders': {
      get: op(
        'List the orders of a week',
        { '200': ok('A page of orders.', page('Order')), '400': INVALID, '404': NOT_FOUND },
        {
          operationId: 'listOrders',
          parameters: [
            {
              name: 'week',
              in: 'query',
              required: true,
              schema: { type: 'string', format: 'date' },
              description: 'The day the lunch week starts.',
            },
            ...PAGE_PARAMS,
          ],
        },
      ),
      post: op(
        "Order a student's lunch for one day of a week",
        {
          '201': ok('Created.', ref('Order')),
          '400': INVALID,
          '404': NOT_FOUND,
          '409': CONFLICT,
          '415': NOT_JSON,
        },
        { operationId: 'createOrder', requestBody: body(NewOrder) },
      ),
    },
  };
}

const uuid = { type: 'string', format: 'uuid' };
const time = { type: 'string', format: 'date-time' };
const object = (properties: Json): Json => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
});

export const SCHOOL_API_SCHEMAS: Json = {
  Student: object({
    id: uuid,
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    grade: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  }),
  MenuItem: object({
    id: uuid,
    name: { type: 'string' },
    description: { type: ['string', 'null'] },
    priceCents: { type: 'integer' },
    vegetarian: { type: 'boolean' },
    allergens: { type: 'array', items: { type: 'string' } },
    active: { type: 'boolean' },
    createdAt: time,
  }),
  LunchWeek: object({
    id: uuid,
    startsOn: { type: 'string', format: 'date' },
    published: { type: 'boolean' },
    items: {
      type: 'array',
      items: object({
        weekday: { type: 'integer', minimum: 1, maximum: 5 },
        menuItemId: uuid,
        name: { type: 'string' },
        priceCents: { type: 'integer' },
        vegetarian: { type: 'boolean' },
      }),
    },
  }),
  Order: object({
    id: uuid,
    studentId: uuid,
    week: { type: 'string', format: 'date' },
    weekday: { type: 'integer', minimum: 1, maximum: 5 },
    menuItemId: uuid,
    quantity: { type: 'integer' },
    createdAt: time,
  }),
};

/**
 * A person's token for the school's API: the Resource Owner Password grant against the Auth0
 * tenant (or the local emulator), which Swagger UI's Authorize button can run. It needs the
 * tenant's default audience set to API_AUDIENCE and a default directory (the connection).
 */
export function schoolLoginScheme(tokenUrl: string, clientId: string | undefined): Json {
  return {
    type: 'oauth2',
    description: `Sign in as a school's user (the email and password of its signup).${clientId ? ` Locally: client_id \`${clientId}\`, no secret.` : ''}`,
    ...(clientId ? { 'x-client-id': clientId } : {}),
    flows: { password: { tokenUrl, scopes: {} } },
  };
}
