import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Secrets can reach a log line through request bodies, headers and upstream payloads;
 * these paths are censored wherever they appear (top level or one object deep).
 */
const SECRET_KEYS = [
  'password',
  'passwordConfirm',
  'client_secret',
  'clientSecret',
  'access_token',
  'accessToken',
  'id_token',
  'refresh_token',
  'token',
  'authorization',
  'cookie',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
