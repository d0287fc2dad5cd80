import { parseArgs } from 'node:util';
import type { EmulatorApi } from './types';

// The package's CLI reads its settings from flags only; these are its defaults. A service that
// embeds the emulator passes its own values to serveAuth0Emulator() instead.

export const DEFAULT_PORT = 4010;
export const DEFAULT_STATE_FILE = '.data/auth0-emulator.json';

export const USAGE = `Usage: npm start -w @tenant-signup/auth0-emulator -- [options]

A local Auth0 tenant on 127.0.0.1 that keeps its users and signing key between runs.

  --port <n>                    port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --state-file <path>           where users and the signing key are kept
                                (default ${DEFAULT_STATE_FILE}, from the working directory)
  --connection <name>           a database connection that exists; repeat for more
                                (default Username-Password-Authentication)
  --api <audience>[=<scopes>]   a custom API it issues access tokens for, with its
                                comma-separated scopes; repeat for more (default none)
  --control-api                 serve the unauthenticated /__emulator routes (fault
                                injection, recorded requests, users, settings); for tests
  --help                        this text`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliSettings {
  port: number;
  stateFile: string;
  /** Undefined: the emulator's default connection. */
  connections: string[] | undefined;
  apis: EmulatorApi[];
  enableControlApi: boolean;
}

export type CliRequest = { help: true } | { help: false; settings: CliSettings };

/** Throws a UsageError with a one-line message for anything it cannot use. */
export function parseCliArgs(args: string[]): CliRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'state-file': { type: 'string' },
        connection: { type: 'string', multiple: true },
        api: { type: 'string', multiple: true },
        'control-api': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(oneLine((error as Error).message));
  }
  if (values.help) return { help: true };
  const stateFile = values['state-file'] ?? DEFAULT_STATE_FILE;
  if (stateFile === '') throw new UsageError('--state-file needs a path');
  if (values.connection?.includes('')) throw new UsageError('--connection needs a name');
  return {
    help: false,
    settings: {
      port: values.port === undefined ? DEFAULT_PORT : parsePort(values.port),
      stateFile,
      connections: values.connection,
      apis: (values.api ?? []).map(parseApi),
      enableControlApi: values['control-api'] ?? false,
    },
  };
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got '${raw}'`);
  }
  return port;
}

/** `audience=scope,scope`: audiences are URIs, often URNs, so ':' cannot be the separator. */
function parseApi(raw: string): EmulatorApi {
  const at = raw.indexOf('=');
  const audience = at === -1 ? raw : raw.slice(0, at);
  if (audience === '') throw new UsageError(`--api needs an audience, got '${raw}'`);
  const scopes =
    at === -1
      ? []
      : raw
          .slice(at + 1)
          .split(',')
          .filter(Boolean);
  return { audience, scopes };
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
  return message.split('\n')[0]!.replace(/\.$/, '');
}
