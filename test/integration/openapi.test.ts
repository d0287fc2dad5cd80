import request from 'supertest';
import { pointer, schemaValidator, validateOpenApi } from '../helpers/openApi';
import { signupBody } from '../helpers/signupData';
import { startTestService, uniqueSuffix, type TestService } from '../helpers/testService';

type Json = Record<string, unknown>;

let svc: TestService;
let doc: Json;

beforeAll(async () => {
  svc = await startTestService();
  doc = (await request(svc.app).get('/openapi.json').expect(200)).body as Json;
});
afterAll(async () => {
  await svc.close();
});

const METHODS = ['get', 'post', 'patch', 'delete'] as const;
const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([key]) => (METHODS as readonly string[]).includes(key))
      .map(([method, operation]) => ({
        path,
        method: method as (typeof METHODS)[number],
        operation,
      })),
  );
const responsesOf = (path: string, method: string) =>
  pointer(doc, `#/paths/${path.replace(/\//g, '~1')}/${method}/responses`) as Record<string, Json>;
const responseSchema = (path: string, method: string, status: number) =>
  pointer(responsesOf(path, method)[String(status)]!, '#/content/application~1json/schema');
const matchesDocumented = (path: string, method: string, status: number, body: unknown) =>
  schemaValidator(doc, responseSchema(path, method, status))(body);

/** A new school's signup with the password typed twice, changed by `overrides`. */
const signup = (overrides: Record<string, unknown> = {}) => {
  const { request: body } = signupBody('Docs Academy');
  return { ...body, passwordConfirm: body.password, ...overrides };
};

describe('GET /openapi.json', () => {
  test('is a valid OpenAPI 3.1 document, and the validator does reject a broken one', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(await validateOpenApi(doc)).toEqual({ valid: true });

    const broken = structuredClone(doc);
    delete pointer(broken, '#/paths/~1users/post/responses/201').description; // required
    expect(await validateOpenApi(broken)).toMatchObject({
      valid: false,
      errors: expect.arrayContaining([
        expect.objectContaining({ params: { missingProperty: 'description' } }),
      ]),
    });
  });

  test('documents POST /users with 201 and every error status and code the API can answer', () => {
    const responses = responsesOf('/users', 'post');
    const codes = (status: string) =>
      pointer(responses[status]!, '#/content/application~1json/schema/properties/error')
        .properties as { code: { enum: string[] } };

    expect(Object.keys(responses).sort()).toEqual(
      ['201', '400', '403', '409', '413', '415', '429', '500', '502', '503'].sort(),
    );
    expect(codes('400').code.enum).toEqual(['invalid_request']);
    expect(codes('403').code.enum).toEqual(['signup_denied']);
    expect(codes('409').code.enum).toEqual([
      'school_taken',
      'email_taken',
      'database_name_unavailable',
    ]);
    expect(codes('413').code.enum).toEqual(['payload_too_large']);
    expect(codes('415').code.enum).toEqual(['unsupported_media_type']);
    expect(codes('429').code.enum).toEqual(['rate_limited']);
    expect(codes('500').code.enum).toEqual([
      'provisioning_failed',
      'invalid_hook_output',
      'internal_error',
    ]);
    expect(codes('502').code.enum).toEqual(['auth0_error']);
    expect(codes('503').code.enum).toEqual(['auth0_unavailable', 'database_unavailable']);
    expect(Object.keys(responses['429']!.headers as Json)).toContain('Retry-After');
    expect(Object.keys(responses['503']!.headers as Json)).toContain('Retry-After');
  });

  test('every documented path and method answers through the real app with a documented status', async () => {
    expect(operations().map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['post /users', 'get /healthz', 'get /readyz']),
    );
    for (const { path, method, operation } of operations()) {
      const url = path.replace('{id}', '0b6e2e51-3d1c-4f0e-9a52-7d8c5b1f2a10');
      const res =
        method === 'get'
          ? await request(svc.app).get(url)
          : await request(svc.app)[method](url).send({});

      expect({ route: `${method} ${path}`, status: res.status }).not.toMatchObject({ status: 404 });
      expect(Object.keys(operation.responses as Json)).toContain(String(res.status));
      expect(matchesDocumented(path, method, res.status, res.body)).toBe(true);
    }
  });
});

describe('the documented SignupRequest schema and POST /users', () => {
  const accepts = (body: unknown) =>
    schemaValidator(doc, { $ref: '#/components/schemas/SignupRequest' })(body);

  test.each([
    ['a complete signup', signup()],
    ['a signup without passwordConfirm', signup({ passwordConfirm: undefined })],
    [
      'an email with spaces and capitals (normalised)',
      signup({ email: ` A.${uniqueSuffix()}@X.Test ` }),
    ],
  ])('both accept %s (201, and the 201 body matches the documented schema)', async (_, body) => {
    expect(accepts(body)).toBe(true);
    const res = await request(svc.app).post('/users').send(body);

    expect(res.status).toBe(201);
    expect(matchesDocumented('/users', 'post', 201, res.body)).toBe(true);
  });

  test.each([
    ['a missing email', signup({ email: undefined })],
    ['a numeric email', signup({ email: 42 })],
    ['an empty password', signup({ password: '' })],
    ['a 129-character password', signup({ password: 'Aa1!'.repeat(33).slice(0, 129) })],
    ['a numeric passwordConfirm', signup({ passwordConfirm: 1 })],
    ['a missing school name', signup({ schoolName: undefined })],
    ['an unknown field', signup({ admin: true })],
    ['an array instead of an object', [signup()]],
  ])('both reject %s (400 invalid_request)', async (_, body) => {
    expect(accepts(body)).toBe(false);
    const res = await request(svc.app).post('/users').send(body);

    expect(res.status).toBe(400);
    expect(matchesDocumented('/users', 'post', 400, res.body)).toBe(true);
  });

  // Rules JSON Schema cannot state for input that is trimmed and normalised first; the field
  // descriptions in the document spell them out, and the route enforces them.
  test.each([
    ['a malformed email', signup({ email: 'not-an-email' }), 'email'],
    ['passwords that differ', signup({ passwordConfirm: 'Other-Secr3t' }), 'passwordConfirm'],
    ['a school name of one letter and spaces', signup({ schoolName: '  a  ' }), 'schoolName'],
    ['a school name of punctuation only', signup({ schoolName: '!!! ???' }), 'schoolName'],
    [
      "a password Auth0's policy refuses",
      signup({ password: 'password', passwordConfirm: undefined }),
      'password',
    ],
  ])(
    'the schema lets %s through and the route answers 400 on that field',
    async (_, body, field) => {
      expect(accepts(body)).toBe(true);
      const res = await request(svc.app).post('/users').send(body);

      expect(res.status).toBe(400);
      expect(Object.keys(res.body.error.details)).toEqual([field]);
      const description = pointer(
        doc,
        `#/components/schemas/SignupRequest/properties/${field}`,
      ).description;
      expect(description).toEqual(expect.any(String));
    },
  );
});

describe('real error responses match the documented ones', () => {
  test('409 school_taken, 413 payload_too_large and 415 unsupported_media_type bodies match their documented schemas', async () => {
    const first = signup();
    expect((await request(svc.app).post('/users').send(first)).status).toBe(201);
    const taken = await request(svc.app)
      .post('/users')
      .send(signup({ schoolName: first.schoolName }));
    const tooLarge = await request(svc.app)
      .post('/users')
      .send(signup({ schoolName: 'x'.repeat(20_000) }));
    const notJson = await request(svc.app)
      .post('/users')
      .set('content-type', 'text/plain')
      .send('email=a');

    expect([taken.status, taken.body.error.code]).toEqual([409, 'school_taken']);
    expect([tooLarge.status, notJson.status]).toEqual([413, 415]);
    for (const res of [taken, tooLarge, notJson])
      expect(matchesDocumented('/users', 'post', res.status, res.body)).toBe(true);
    // and the check has teeth: a code the status cannot carry, or an extra field, fails it
    const wrongCode = { error: { ...taken.body.error, code: 'rate_limited' } };
    expect(matchesDocumented('/users', 'post', 409, wrongCode)).toBe(false);
    expect(matchesDocumented('/users', 'post', 409, { ...taken.body, stack: 'x' })).toBe(false);
  });
});

describe('GET /docs', () => {
  test('serves the Swagger UI page from this service, started by an external script under the default CSP', async () => {
    const page = await request(svc.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('src="/docs/swagger-ui/swagger-ui-bundle.js"');
    expect(page.text).toContain('src="/docs/docs.js"');
    expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)|\son\w+="|https?:\/\/(?!www\.w3)/);
    expect(page.headers['content-security-policy']).toMatch(/(^|;)script-src 'self'(;|$)/);

    for (const asset of ['/docs/docs.js', '/docs/swagger-ui/swagger-ui-bundle.js']) {
      const res = await request(svc.app).get(asset);
      expect([asset, res.status, res.headers['content-type']]).toEqual([
        asset,
        200,
        expect.stringMatching(/javascript/),
      ]);
    }
    // swagger-ui-dist's demo page (pointing at the public petstore) is not exposed.
    expect((await request(svc.app).get('/docs/swagger-ui/index.html')).status).toBe(404);
  });
});
