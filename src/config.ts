import { z } from 'zod';

/**
 * The one place that reads process.env. Everything else receives a typed, frozen Config,
 * so a bad variable fails the start with its name instead of failing a request later.
 */

const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  EMBEDDED_PG_PORT: port(54329),
  EMBEDDED_PG_DATA_DIR: z.string().default('.data/postgres'),
  AUTH0_DOMAIN: optionalText,
  AUTH0_CLIENT_ID: optionalText,
  AUTH0_CLIENT_SECRET: optionalText,
  AUTH0_AUDIENCE: optionalText,
  AUTH0_CONNECTION: z.string().trim().min(1).default('Username-Password-Authentication'),
  AUTH0_TIMEOUT_MS: positiveInt(5000),
  AUTH0_RETRY_BUDGET_MS: z.coerce.number().int().min(0).default(10000),
  AUTH0_EMULATOR_PORT: port(4010),
  AUTH0_EMULATOR_STATE_FILE: z.string().default('.data/auth0-emulator.json'),
  MIGRATE_TENANTS_ON_START: boolean(true),
  TENANT_MIGRATIONS_DIR: optionalText,
  TENANT_TEMPLATE_DB: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, 'must be a database name of a-z, 0-9 and _')
    .default('tenant_template'),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  RECONCILE_HORIZON_SECONDS: positiveInt(900),
  RECONCILE_AUTH0_SWEEP_MINUTES: z.coerce.number().int().min(0).default(60),
  // Not the CPU count: a deploy finds most tenants' pages out of the OS cache, and more
  // connections overlap those reads (bench/README: 8 was 25-35% faster than 4 on a cold
  // 2-core machine, and 4% slower with everything cached).
  TENANT_MIGRATION_CONCURRENCY: positiveInt(8),
  TENANT_SPARE_DATABASES: z.coerce.number().int().min(0).max(20).default(2),
  BODY_LIMIT: z.string().default('10kb'),
  CORS_ORIGINS: z.string().default(''),
  TRUST_PROXY: z.string().default('false'),
  SIGNUP_RATE_LIMIT_MAX: positiveInt(10),
  SIGNUP_RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
  SIGNUP_ALLOWED_EMAIL_DOMAINS: z.string().default(''),
  SIGNUP_BLOCKED_EMAIL_DOMAINS: z.string().default(''),
  AMQP_URL: optionalText.pipe(z.url({ protocol: /^amqps?$/ }).optional()),
  AMQP_EXCHANGE: z.string().trim().min(1).default('users'),
  NOTIFY_WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  OUTBOX_POLL_INTERVAL_MS: positiveInt(2000),
  OUTBOX_RETRY_BASE_MS: positiveInt(1000),
  OUTBOX_RETRY_MAX_MS: positiveInt(60000),
  API_AUDIENCE: z.string().trim().min(1).default('urn:tenant-signup:api'),
});

export type Env = Record<string, string | undefined>;

export interface Auth0Config {
  /** Base URL, e.g. https://tenant.eu.auth0.com or http://127.0.0.1:4010 (no trailing slash). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  connection: string;
  timeoutMs: number;
  retryBudgetMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  /** The tenants CLI's: quieter by default, its stdout is the command's output. */
  cliLogLevel: string;
  bodyLimit: string;
  /** Undefined means "start the embedded PostgreSQL". */
  databaseUrl: string | undefined;
  embeddedPostgres: { port: number; dataDir: string };
  /** Undefined means "start the local Auth0 emulator" (never allowed in production). */
  auth0: Auth0Config | undefined;
  auth0Connection: string;
  auth0TimeoutMs: number;
  auth0RetryBudgetMs: number;
  auth0Emulator: { port: number; stateFile: string };
  migrateTenantsOnStart: boolean;
  tenantMigrationConcurrency: number;
  /** Undefined means the repository's tenant-migrations/. */
  tenantMigrationsDir: string | undefined;
  /** The migrated template new tenants are cloned from. */
  tenantTemplateDb: string;
  /** Template clones the server keeps ready so a signup need not wait for one (0 = none). */
  tenantSpareDatabases: number;
  /** How often the server retries unfinished compensations (0 = only at start-up). */
  reconcileIntervalSeconds: number;
  /**
   * How long after a rollback an Auth0 create of that signup may still land, so its
   * tombstone is watched (catalog/tombstonesRepository.ts).
   */
  reconcileHorizonSeconds: number;
  /** How often one of the servers sweeps Auth0 for users without a signup (0 = never). */
  reconcileAuth0SweepMinutes: number;
  /** Browser origins allowed to call the API cross-origin (exact matches). */
  corsOrigins: readonly string[];
  /** express's `trust proxy`: false, true, a hop count, or a list of addresses/subnets. */
  trustProxy: boolean | number | string;
  signupRateLimit: { max: number; windowSeconds: number };
  /** Built-in pre-signup rules (lower-cased domains; an empty allow-list allows every domain). */
  signupPolicy: { allowedEmailDomains: readonly string[]; blockedEmailDomains: readonly string[] };
  /** The outbox consumers: RabbitMQ (when amqpUrl is set) and the notification webhook. */
  events: {
    amqpUrl: string | undefined;
    exchange: string;
    webhookUrl: string | undefined;
    pollIntervalMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
  /** Audience of this service's own API (access tokens for POST /users/sync). */
  apiAudience: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `AUTH0_DOMAIN` may be a bare domain (https implied) or a full URL for emulators. */
export function auth0BaseUrl(domain: string): string {
  const withScheme = /^https?:\/\//i.test(domain) ? domain : `https://${domain}`;
  const url = new URL(withScheme);
  return `${url.protocol}//${url.host}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)
    .join('; ');
}

function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS: ${origin} is not an origin`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(
        `Invalid configuration: CORS_ORIGINS: ${origin} is not an origin (scheme://host[:port])`,
      );
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

function parseDomains(name: string, raw: string): string[] {
  const domains = raw
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  for (const domain of domains) {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) {
      throw new ConfigError(`Invalid configuration: ${name}: ${domain} is not a domain`);
    }
  }
  return domains;
}

function parseTrustProxy(raw: string): boolean | number | string {
  const value = raw.trim();
  if (['false', '0', ''].includes(value)) return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // e.g. "loopback, 10.0.0.0/8", validated by proxy-addr when express compiles it
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  }
  const e = parsed.data;

  let auth0: Auth0Config | undefined;
  if (e.AUTH0_DOMAIN) {
    const missing = (['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'] as const).filter((k) => !e[k]);
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid configuration: ${missing.join(', ')} required with AUTH0_DOMAIN`,
      );
    }
    let baseUrl: string;
    try {
      baseUrl = auth0BaseUrl(e.AUTH0_DOMAIN);
    } catch {
      throw new ConfigError('Invalid configuration: AUTH0_DOMAIN is not a domain or URL');
    }
    auth0 = {
      baseUrl,
      clientId: e.AUTH0_CLIENT_ID!,
      clientSecret: e.AUTH0_CLIENT_SECRET!,
      audience: e.AUTH0_AUDIENCE ?? `${baseUrl}/api/v2/`,
      connection: e.AUTH0_CONNECTION,
      timeoutMs: e.AUTH0_TIMEOUT_MS,
      retryBudgetMs: e.AUTH0_RETRY_BUDGET_MS,
    };
  } else if (e.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid configuration: AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET are required when NODE_ENV=production (the local Auth0 emulator is for development only)',
    );
  }

  // A create may be in flight for the whole retry budget plus one timeout, and Auth0 may
  // finish it later still: the horizon must cover that with room to spare.
  const minHorizon = Math.ceil((e.AUTH0_RETRY_BUDGET_MS + e.AUTH0_TIMEOUT_MS) / 1000) + 60;
  if (e.RECONCILE_HORIZON_SECONDS < minHorizon) {
    throw new ConfigError(
      `Invalid configuration: RECONCILE_HORIZON_SECONDS must be at least ${minHorizon} (AUTH0_RETRY_BUDGET_MS + AUTH0_TIMEOUT_MS + 60 s)`,
    );
  }

  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL ?? 'info',
    cliLogLevel: e.LOG_LEVEL ?? 'warn',
    bodyLimit: e.BODY_LIMIT,
    databaseUrl: e.DATABASE_URL,
    embeddedPostgres: Object.freeze({ port: e.EMBEDDED_PG_PORT, dataDir: e.EMBEDDED_PG_DATA_DIR }),
    auth0: auth0 && Object.freeze(auth0),
    auth0Connection: e.AUTH0_CONNECTION,
    auth0TimeoutMs: e.AUTH0_TIMEOUT_MS,
    auth0RetryBudgetMs: e.AUTH0_RETRY_BUDGET_MS,
    auth0Emulator: Object.freeze({
      port: e.AUTH0_EMULATOR_PORT,
      stateFile: e.AUTH0_EMULATOR_STATE_FILE,
    }),
    migrateTenantsOnStart: e.MIGRATE_TENANTS_ON_START,
    tenantMigrationConcurrency: e.TENANT_MIGRATION_CONCURRENCY,
    tenantMigrationsDir: e.TENANT_MIGRATIONS_DIR,
    tenantTemplateDb: e.TENANT_TEMPLATE_DB,
    tenantSpareDatabases: e.TENANT_SPARE_DATABASES,
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    reconcileHorizonSeconds: e.RECONCILE_HORIZON_SECONDS,
    reconcileAuth0SweepMinutes: e.RECONCILE_AUTH0_SWEEP_MINUTES,
    corsOrigins: Object.freeze(parseOrigins(e.CORS_ORIGINS)),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    signupRateLimit: Object.freeze({
      max: e.SIGNUP_RATE_LIMIT_MAX,
      windowSeconds: e.SIGNUP_RATE_LIMIT_WINDOW_SECONDS,
    }),
    signupPolicy: Object.freeze({
      allowedEmailDomains: Object.freeze(
        parseDomains('SIGNUP_ALLOWED_EMAIL_DOMAINS', e.SIGNUP_ALLOWED_EMAIL_DOMAINS),
      ),
      blockedEmailDomains: Object.freeze(
        parseDomains('SIGNUP_BLOCKED_EMAIL_DOMAINS', e.SIGNUP_BLOCKED_EMAIL_DOMAINS),
      ),
    }),
    events: Object.freeze({
      amqpUrl: e.AMQP_URL,
      exchange: e.AMQP_EXCHANGE,
      webhookUrl: e.NOTIFY_WEBHOOK_URL,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      retryBaseMs: e.OUTBOX_RETRY_BASE_MS,
      retryMaxMs: e.OUTBOX_RETRY_MAX_MS,
    }),
    apiAudience: e.API_AUDIENCE,
  });
}
