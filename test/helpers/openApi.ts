import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Checking an OpenAPI document with real validators rather than by eye:
 * - the document itself against the OpenAPI 3.1 JSON Schema (@seriousme/openapi-schema-validator);
 * - sample bodies against the schemas inside it (Ajv for JSON Schema 2020-12, the dialect of
 *   OpenAPI 3.1).
 */

type Json = Record<string, unknown>;

// The validator is ESM-only and jest runs tests as CommonJS, so its CLI runs in a child
// Node process (works on every Node 20, unlike require(esm)).
const validatorRequire = createRequire(
  require.resolve('@seriousme/openapi-schema-validator/package.json'),
);
const VALIDATOR_CLI = validatorRequire.resolve(
  '@seriousme/openapi-schema-validator/bin/validate-api-cli.js',
);

export async function validateOpenApi(document: unknown): Promise<{
  valid: boolean;
  errors?: unknown;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const { stdout } = await promisify(execFile)(process.execPath, [VALIDATOR_CLI, file]).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '{"valid":false}' }),
    );
    return JSON.parse(stdout) as { valid: boolean; errors?: unknown };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Ajv2020 {
  compile(schema: Json): ((data: unknown) => boolean) & { errors?: unknown };
}

// Ajv 8 is what the OpenAPI validator itself uses; the top-level `ajv` is eslint's Ajv 6,
// which does not know JSON Schema 2020-12. So it is loaded from the validator's own deps.
const Ajv2020Class = (validatorRequire('ajv/dist/2020') as { default: new (o: Json) => Ajv2020 })
  .default;

/** Compiles a schema from the document, following `$ref`s into its components. */
export function schemaValidator(document: Json, schema: Json): (data: unknown) => boolean {
  const ajv = new Ajv2020Class({ strict: true, validateFormats: false, allErrors: true });
  const resolved = typeof schema.$ref === 'string' ? pointer(document, schema.$ref) : schema;
  return ajv.compile(resolved);
}

/** Follows a local JSON pointer such as `#/components/schemas/SignupRequest`. */
export function pointer(document: Json, ref: string): Json {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/'))
    node = (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`${ref} is not in the document`);
  return node as Json;
}
