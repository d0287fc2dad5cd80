import { z } from 'zod';

/**
 * The one place that reads process.env. One zod schema parses the variables and shapes them
 * into nested groups; the Config type is inferred from it, so the two cannot drift apart.
 * Everything else receives the typed, frozen result, so a bad variable fails the start with
 * its name instead of failing a request later.
 */

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const count = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(0).max(max).default(fallback);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Comma lists, checked item by item so the message names the bad one. */
const commaList = (check: (item: string) => string | undefined, normalise = (s: string) => s) =>
  z.string().transform((raw, ctx) => {
    const items = raw
      .split(',')
      .map((s) => normalise(s.trim()))
      .filter(Boolean);
    for (const item of items) {
      const problem = check(item);
      if (problem) ctx.addIssue({ code: 'custom', message: `${item} ${problem}` });
    }
    return Object.freeze(items);
  });

const origins = commaList(
  (origin) => {
    try {
      return new URL(origin).origin === origin
        ? undefined
        : 'is not an origin (scheme://host[:port])';
    } catch {
      return 'is not an origin';
    }
  },
  (o) => o.replace(/\/$/, ''),
);
const domains = commaList(
  (domain) => (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain) ? undefined : 'is not a domain'),
  (d) => d.toLowerCase().replace(/^@/, ''),
);

/** express's `trust proxy`: false, true, a hop count, or addresses/subnets for proxy-addr. */
const trustProxy = z.string().transform((raw): boolean | number | string => {
  const value = raw.trim();
  if (['false', '0', ''].includes(value)) return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
});

/**
 * DATABASE_SERVERS: the tenant servers besides `default` (DATABASE_URL's own), as a JSON
 * object of name → URL of an administrative database on that server, or name →
 * { "url": …, "maxTenants": n }. Messages never echo a value: URLs carry passwords.
 */
const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const serverEntry = z.union([
  z.string(),
  z.strictObject({ url: z.string(), maxTenants: z.number().int().positive().optional() }),
]);
const databaseServers = z.string().transform((raw, ctx) => {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object of server name to URL' });
    return z.NEVER;
  }
  const servers: { name: string; url: string; maxTenants?: number }[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const entry = serverEntry.safeParse(value);
    const url = entry.success ? (typeof entry.data === 'string' ? entry.data : entry.data.url) : '';
    const problem = !SERVER_NAME.test(name)
      ? 'is not a server name (a-z, 0-9, _ and -, at most 63)'
      : name === 'default'
        ? "is DATABASE_URL's server and needs no entry"
        : !entry.success
          ? 'must be a URL or { "url": …, "maxTenants": n }'
          : !isPostgresUrl(url)
            ? 'is not a postgres:// URL naming a database'
            : undefined;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `${name.slice(0, 63)} ${problem}` });
      continue;
    }
    const maxTenants = typeof entry.data === 'string' ? undefined : entry.data?.maxTenants;
    servers.push({ name, url, ...(maxTenants ? { maxTenants } : {}) });
  }
  return servers;
});

function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return /^postgres(ql)?:$/.test(url.protocol) && url.pathname.length > 1;
  } catch {
    return false;
  }
}

/** `AUTH0_DOMAIN` may be a bare domain (https implied) or a full URL for emulators. */
export function auth0BaseUrl(domain: string): string {
  const withScheme = /^https?:\/\//i.test(domain) ? domain : `https://${domain}`;
  const url = new URL(withScheme);
  return `${url.protocol}//${url.host}`;
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port(3000),
  LOG_LEVEL: logLevel.optional(),
  BODY_LIMIT: z.string().default('10kb'),
  CORS_ORIGINS: origins.default([]),
  TRUST_PROXY: trustProxy.default(false),
  DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_SERVERS: databaseServers.default([]),
  EMBEDDED_PG_PORT: port(54329),
  EMBEDDED_PG_DATA_DIR: z.string().default('.data/postgres'),
  AUTH0_DOMAIN: optionalText,
  AUTH0_CLIENT_ID: optionalText,
  AUTH0_CLIENT_SECRET: optionalText,
  AUTH0_AUDIENCE: optionalText,
  AUTH0_CONNECTION: z.string().trim().min(1).default('Username-Password-Authentication'),
  AUTH0_TIMEOUT_MS: positiveInt(5000),
  AUTH0_RETRY_BUDGET_MS: count(10000),
  AUTH0_EMULATOR_PORT: port(4010),
  AUTH0_EMULATOR_STATE_FILE: z.string().default('.data/auth0-emulator.json'),
  MIGRATE_TENANTS_ON_START: boolean(true),
  TENANT_MIGRATIONS_DIR: optionalText,
  TENANT_TEMPLATE_DB: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/, 'must be a database name of a-z, 0-9 and _')
    .default('tenant_template'),
  // Not the CPU count: a deploy finds most tenants' pages out of the OS cache, and more
  // connections overlap those reads (bench/README: 8 was 25-35% faster than 4 on a cold
  // 2-core machine, and 4% slower with everything cached).
  TENANT_MIGRATION_CONCURRENCY: positiveInt(8),
  TENANT_SPARE_DATABASES: count(2, 20),
  RECONCILE_INTERVAL_SECONDS: count(60),
  RECONCILE_HORIZON_SECONDS: positiveInt(900),
  RECONCILE_AUTH0_SWEEP_MINUTES: count(60),
  SIGNUP_RATE_LIMIT_MAX: positiveInt(10),
  SIGNUP_RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
  SIGNUP_ALLOWED_EMAIL_DOMAINS: domains.default([]),
  SIGNUP_BLOCKED_EMAIL_DOMAINS: domains.default([]),
  AMQP_URL: optionalText.pipe(z.url({ protocol: /^amqps?$/ }).optional()),
  AMQP_EXCHANGE: z.string().trim().min(1).default('users'),
  NOTIFY_WEBHOOK_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  OUTBOX_POLL_INTERVAL_MS: positiveInt(2000),
  OUTBOX_RETRY_BASE_MS: positiveInt(1000),
  OUTBOX_RETRY_MAX_MS: positiveInt(60000),
  API_AUDIENCE: z.string().trim().min(1).default('urn:tenant-signup:api'),
  // A namespaced claim (Auth0 drops non-namespaced custom claims from access tokens).
  API_DOCS_CLIENT_ID: optionalText,
  TENANT_CLAIM: z.url({ protocol: /^https?$/ }).default('https://tenant-signup/db_name'),
  // Well under PostgreSQL's default max_connections (100), which the catalog, the admin
  // pools, migrations and other deployments share.
  TENANT_POOL_MAX_CONNECTIONS: positiveInt(40),
  TENANT_POOL_MAX_PER_TENANT: positiveInt(5),
  TENANT_POOL_IDLE_SECONDS: positiveInt(30),
  TENANT_POOL_ACQUIRE_TIMEOUT_MS: positiveInt(2000),
});

type ParsedEnv = z.output<typeof EnvSchema>;

/** Cross-variable rules, each reported against the variable to change. */
function checkTogether(e: ParsedEnv, ctx: z.RefinementCtx): void {
  const problem = (path: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [path], message });
  if (e.TENANT_POOL_MAX_PER_TENANT > e.TENANT_POOL_MAX_CONNECTIONS) {
    problem('TENANT_POOL_MAX_PER_TENANT', 'must not exceed TENANT_POOL_MAX_CONNECTIONS');
  }
  if (e.AUTH0_DOMAIN) {
    const missing = (['AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'] as const).filter((k) => !e[k]);
    if (missing.length > 0) problem(missing.join(', '), 'required with AUTH0_DOMAIN');
    try {
      auth0BaseUrl(e.AUTH0_DOMAIN);
    } catch {
      problem('AUTH0_DOMAIN', 'is not a domain or URL');
    }
  } else if (e.NODE_ENV === 'production') {
    problem(
      'AUTH0_DOMAIN',
      'AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET are required when NODE_ENV=production (the local Auth0 emulator is for development only)',
    );
  }
  // A create may be in flight for the whole retry budget plus one timeout, and Auth0 may
  // finish it later still: the horizon must cover that with room to spare.
  const minHorizon = Math.ceil((e.AUTH0_RETRY_BUDGET_MS + e.AUTH0_TIMEOUT_MS) / 1000) + 60;
  if (e.RECONCILE_HORIZON_SECONDS < minHorizon) {
    problem(
      'RECONCILE_HORIZON_SECONDS',
      `must be at least ${minHorizon} (AUTH0_RETRY_BUDGET_MS + AUTH0_TIMEOUT_MS + 60 s)`,
    );
  }
}

const ConfigSchema = EnvSchema.superRefine(checkTogether).transform((e) => ({
  env: e.NODE_ENV,
  http: {
    host: e.HOST,
    port: e.PORT,
    bodyLimit: e.BODY_LIMIT,
    /** Browser origins allowed to call the API cross-origin (exact matches). */
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
  },
  log: {
    level: e.LOG_LEVEL ?? 'info',
    /** The tenants CLI's: quieter by default, its stdout is the command's output. */
    cliLevel: e.LOG_LEVEL ?? 'warn',
  },
  database: {
    /** Undefined means "start the embedded PostgreSQL". */
    url: e.DATABASE_URL,
    embedded: { port: e.EMBEDDED_PG_PORT, dataDir: e.EMBEDDED_PG_DATA_DIR },
    /** Tenant servers besides `default` (the catalog's own), from DATABASE_SERVERS. */
    servers: e.DATABASE_SERVERS,
  },
  auth0: {
    /** The real Auth0 tenant; undefined means the local emulator (never in production). */
    tenant: e.AUTH0_DOMAIN
      ? {
          baseUrl: auth0BaseUrl(e.AUTH0_DOMAIN),
          clientId: e.AUTH0_CLIENT_ID!,
          clientSecret: e.AUTH0_CLIENT_SECRET!,
          audience: e.AUTH0_AUDIENCE ?? `${auth0BaseUrl(e.AUTH0_DOMAIN)}/api/v2/`,
        }
      : undefined,
    connection: e.AUTH0_CONNECTION,
    timeoutMs: e.AUTH0_TIMEOUT_MS,
    retryBudgetMs: e.AUTH0_RETRY_BUDGET_MS,
    emulator: { port: e.AUTH0_EMULATOR_PORT, stateFile: e.AUTH0_EMULATOR_STATE_FILE },
  },
  tenants: {
    migrateOnStart: e.MIGRATE_TENANTS_ON_START,
    migrationConcurrency: e.TENANT_MIGRATION_CONCURRENCY,
    /** Undefined means the repository's tenant-migrations/. */
    migrationsDir: e.TENANT_MIGRATIONS_DIR,
    /** The migrated template new tenants are cloned from. */
    templateDb: e.TENANT_TEMPLATE_DB,
    /** Template clones the server keeps ready so a signup need not wait for one. */
    spareDatabases: e.TENANT_SPARE_DATABASES,
  },
  reconcile: {
    /** How often unfinished compensations are retried (0: only at start-up and the CLI). */
    intervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    /** How long after a rollback a late Auth0 create is watched for (tombstones). */
    horizonSeconds: e.RECONCILE_HORIZON_SECONDS,
    /** How often one of the servers sweeps Auth0 for users without a signup (0: never). */
    auth0SweepMinutes: e.RECONCILE_AUTH0_SWEEP_MINUTES,
  },
  signup: {
    rateLimit: { max: e.SIGNUP_RATE_LIMIT_MAX, windowSeconds: e.SIGNUP_RATE_LIMIT_WINDOW_SECONDS },
    /** The built-in pre-signup rules; an empty allow-list allows every domain. */
    rules: {
      allowedEmailDomains: e.SIGNUP_ALLOWED_EMAIL_DOMAINS,
      blockedEmailDomains: e.SIGNUP_BLOCKED_EMAIL_DOMAINS,
    },
  },
  /** The outbox consumers: RabbitMQ (when amqpUrl is set) and the notification webhook. */
  events: {
    amqpUrl: e.AMQP_URL,
    exchange: e.AMQP_EXCHANGE,
    webhookUrl: e.NOTIFY_WEBHOOK_URL,
    pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
    retryBaseMs: e.OUTBOX_RETRY_BASE_MS,
    retryMaxMs: e.OUTBOX_RETRY_MAX_MS,
  },
  api: {
    /** Audience of this service's own API (POST /users/sync and the school's /api). */
    audience: e.API_AUDIENCE,
    /** The access-token claim naming the school's database (post-login Action). */
    tenantClaim: e.TENANT_CLAIM,
    /** The Auth0 application /docs signs people in with; default: the emulator's public one. */
    docsClientId: e.API_DOCS_CLIENT_ID,
  },
  /** Connections to tenant databases for the school's API (tenants/pools). */
  tenantPools: {
    /** Open tenant connections at most, on each server. */
    maxConnectionsPerServer: e.TENANT_POOL_MAX_CONNECTIONS,
    maxPerTenant: e.TENANT_POOL_MAX_PER_TENANT,
    idleTimeoutMs: e.TENANT_POOL_IDLE_SECONDS * 1000,
    /** How long a request waits for a connection under the cap before a 503. */
    acquireTimeoutMs: e.TENANT_POOL_ACQUIRE_TIMEOUT_MS,
  },
}));

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/** The service's settings, deep-frozen. */
export type Config = DeepReadonly<z.output<typeof ConfigSchema>>;

export function loadConfig(env: Env = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${issues.join('; ')}`);
  }
  return deepFreeze(parsed.data);
}
