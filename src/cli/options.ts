import { parseArgs } from 'node:util';

/**
 * The one place the tenants CLI reads its arguments. Every command declares its options and
 * positionals here; bad ones become a UsageError (one line, exit 2) before anything starts,
 * so `--concurrency abc` never turns into zero workers and a typo never looks like a crash.
 */

export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec =
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'integer'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] };

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean | undefined
  : S extends { type: 'integer' }
    ? number | undefined
    : string | undefined;

export interface ArgsSpec<O extends Record<string, OptionSpec>> {
  options: O;
  /** How many positionals, and what they are called (in the error message). */
  positionals?: { min: number; max: number; name: string };
}

export interface ParsedArgs<O extends Record<string, OptionSpec>> {
  values: { [K in keyof O]: ValueOf<O[K]> };
  positionals: string[];
}

export function parseCommandArgs<O extends Record<string, OptionSpec>>(
  args: string[],
  spec: ArgsSpec<O>,
): ParsedArgs<O> {
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [
      name,
      { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(oneLine(String((error as Error).message)));
  }

  const positionals = parsed.positionals;
  const p = spec.positionals ?? { min: 0, max: 0, name: 'argument' };
  if (positionals.length < p.min) throw new UsageError(`missing ${p.name}`);
  if (positionals.length > p.max) {
    throw new UsageError(
      p.max === 0
        ? `unexpected argument '${positionals[0]}'`
        : `too many arguments: expected at most ${p.max} ${p.name}`,
    );
  }

  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const raw = parsed.values[name];
    values[name] = raw === undefined ? undefined : convert(name, o, raw);
  }
  return { values: values as ParsedArgs<O>['values'], positionals };
}

/**
 * node's first line is clear ("Unknown option '--x'") except for a value starting with a
 * dash, which it calls ambiguous and explains over three lines.
 */
function oneLine(message: string): string {
  const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const name = ambiguous[1]!;
    return `${name} needs a value; for one starting with '-' write ${name}=<value>`;
  }
  return message.split(/\n|\. To specify/)[0]!.replace(/\.$/, '');
}

function convert(name: string, spec: OptionSpec, raw: string | boolean | (string | boolean)[]) {
  if (Array.isArray(raw)) throw new UsageError(`--${name} given more than once`);
  if (spec.type === 'boolean' || spec.type === 'string') return raw;
  const text = String(raw);
  if (spec.type === 'enum') {
    if (!spec.values.includes(text))
      throw new UsageError(`--${name} must be one of ${spec.values.join(', ')}, got '${text}'`);
    return text;
  }
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < spec.min || n > spec.max) {
    throw new UsageError(
      `--${name} must be a whole number from ${spec.min} to ${spec.max}, got '${text}'`,
    );
  }
  return n;
}
