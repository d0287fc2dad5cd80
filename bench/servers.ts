import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '@tenant-signup/auth0-emulator';
import { compose } from '../src/composition';
import { loadConfig } from '../src/config';
import { withDatabase } from '../src/db/databaseUrl';
import { startEmbeddedPostgres } from '../src/db/embeddedPostgres';
import { withKnex, type Knex } from '../src/db/knexFactory';
import { createLogger } from '../src/logger';
import { moveSchool } from '../src/schools/moveSchool';
import { startService } from '../src/service';
import { migrateFleet } from '../src/tenants/fleet/migrateFleet';
import { startEmulatorProcess } from './emulatorProcess';
import { addMigration } from './fleet';
import { copyMigrations, freePort } from './environment';
import { SignupDriver } from './signups';
import { nowMs, percentile } from './stats';

/**
 * `npm run bench -- --servers N`: tenants on N embedded PostgreSQL servers (fsync on), the
 * first holding the catalog. Signups from 20 clients and how they spread, one new migration
 * over the whole fleet with each server's connections sampled against its bound, and moves
 * of a tenant with realistic data (10 000 students, 10 000 orders) with their read-only
 * window. The servers share this machine's CPUs and disk: this measures correctness and
 * overhead, not capacity.
 */

export interface ServersOptions {
  servers: number;
  signups: number;
  clients: number;
  concurrency: number;
  moves: number;
  moveStudents: number;
}

interface ServersResults {
  date: string;
  servers: number;
  signups: {
    total: number;
    errors: number;
    perSecond: number;
    p50Ms: number;
    p95Ms: number;
    byServer: Record<string, number>;
  };
  fleet: {
    tenants: number;
    migrated: number;
    failed: number;
    ms: number;
    boundPerServer: number;
    peakReportedByServer: Record<string, number>;
    peakSampledByServer: Record<string, number>;
    paths: Record<string, number>;
  };
  moves: {
    rows: number;
    msEach: number[];
    readOnlyMsEach: number[];
    p50Ms: number;
    p50ReadOnlyMs: number;
  };
}

const say = (message: string) => process.stderr.write(`bench: ${message}\n`);

export async function runServersBench(o: ServersOptions): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const tmp = await mkdtemp(path.join(tmpdir(), 'signup-bench-servers-'));
  await chmod(tmp, 0o755);
  const stops: (() => Promise<void>)[] = [() => rm(tmp, { recursive: true, force: true })];
  try {
    say(`starting ${o.servers} embedded PostgreSQL servers, the Auth0 emulator and the service`);
    const urls: string[] = [];
    for (let i = 0; i < o.servers; i++) {
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(tmp, `data-${i}`),
        port: await freePort(),
        persistent: false,
        unsafeFast: false,
        logger: createLogger('warn'),
      });
      stops.push(() => pg.stop());
      urls.push(pg.url);
    }
    const emulator = await startEmulatorProcess();
    stops.push(() => emulator.stop());
    const migrationsDir = await copyMigrations(tmp);
    const names = urls.map((_, i) => (i === 0 ? 'default' : `server${i + 1}`));
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: withDatabase(urls[0]!, `bench_catalog_${runId}`),
      DATABASE_SERVERS: JSON.stringify(
        Object.fromEntries(names.slice(1).map((n, i) => [n, urls[i + 1]])),
      ),
      AUTH0_DOMAIN: emulator.url,
      AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
      AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
      SIGNUP_RATE_LIMIT_MAX: '1000000000',
      TENANT_MIGRATIONS_DIR: migrationsDir,
      TENANT_MIGRATION_CONCURRENCY: String(o.concurrency),
    });
    const logger = createLogger('silent');
    const service = await startService(config, logger);
    stops.push(() => service.close());
    const http: Server = await new Promise((resolve) => {
      const s = service.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    stops.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const { port } = http.address() as { port: number };

    say(`${o.signups} signups from ${o.clients} clients`);
    const driver = new SignupDriver(`http://127.0.0.1:${port}`, runId);
    const signups = await driver.concurrent(o.signups, o.clients);
    const spread = await service.catalog.servers.list();

    say('one new migration over the fleet, connections sampled on every server');
    await addMigration(migrationsDir, 1);
    const deps = await compose(config, logger);
    stops.push(() => deps.close());
    const samplers = await Promise.all(urls.map((url) => sampleTenantConnections(url)));
    const fleetStarted = nowMs();
    const fleet = await migrateFleet({
      tenantVersions: deps.catalog.tenantVersions,
      servers: deps.servers,
      logger,
      concurrency: o.concurrency,
    });
    const fleetMs = nowMs() - fleetStarted;
    const sampled = await Promise.all(samplers.map((stop) => stop()));

    say(`${o.moves} moves of a tenant with ${o.moveStudents} students and as many orders`);
    const [tenant] = await deps.catalog.tenantVersions.ready();
    const school = await deps.catalog.schools.findByDbName(tenant!.dbName);
    await withKnex(deps.servers.get(school!.server).urlOf(tenant!.dbName), {}, (db) =>
      seed(db, o.moveStudents),
    );
    const moves: { ms: number; readOnlyMs: number; rows: number }[] = [];
    for (let i = 0; i < o.moves; i++) {
      const current = (await deps.catalog.schools.findByDbName(tenant!.dbName))!.server;
      const to = names[(names.indexOf(current) + 1) % names.length]!;
      const report = await moveSchool(tenant!.dbName, to, { ...deps, running: new Set() });
      moves.push({
        ms: Math.round(report.elapsedMs),
        readOnlyMs: report.readOnlyMs,
        rows: report.rows,
      });
    }

    const results: ServersResults = {
      date: new Date().toISOString(),
      servers: o.servers,
      signups: {
        total: signups.total,
        errors: signups.errors,
        perSecond: signups.perSecond,
        p50Ms: signups.latency.p50Ms,
        p95Ms: signups.latency.p95Ms,
        byServer: Object.fromEntries(spread.map((s) => [s.name, s.tenants])),
      },
      fleet: {
        tenants: fleet.total,
        migrated: fleet.migrated.length,
        failed: fleet.failed.length,
        ms: Math.round(fleetMs),
        boundPerServer: o.concurrency,
        peakReportedByServer: fleet.peakByServer,
        peakSampledByServer: Object.fromEntries(names.map((n, i) => [n, sampled[i] ?? 0])),
        paths: fleet.paths,
      },
      moves: {
        rows: moves[0]?.rows ?? 0,
        msEach: moves.map((m) => m.ms),
        readOnlyMsEach: moves.map((m) => m.readOnlyMs),
        p50Ms: percentile(
          moves.map((m) => m.ms),
          50,
        ),
        p50ReadOnlyMs: percentile(
          moves.map((m) => m.readOnlyMs),
          50,
        ),
      },
    };
    process.stdout.write(`\n${format(results)}\n\n`);
    const dir = path.resolve(__dirname, 'results');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'servers-latest.json');
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    say(`wrote ${file}`);
  } finally {
    say('stopping and cleaning up');
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => say(`a cleanup step failed: ${String(error)}`));
    }
  }
}

/** Most client connections to tenant databases (not the catalog, not postgres) seen at once. */
async function sampleTenantConnections(url: string): Promise<() => Promise<number>> {
  const client = new Client({ connectionString: url, application_name: 'bench sampler' });
  await client.connect();
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND application_name = 'tenant-signup migrate'`,
      );
      peak = Math.max(peak, rows[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
    await client.end();
    return peak;
  };
}

async function seed(db: Knex, students: number): Promise<void> {
  await db.raw(
    `INSERT INTO students (first_name, last_name, grade)
     SELECT 'First ' || i, 'Last ' || i, (i % 6 + 1)::text FROM generate_series(1, ?) i`,
    [students],
  );
  await db.raw("INSERT INTO menu_items (name, price_cents) VALUES ('Soup', 350)");
  await db.raw("INSERT INTO lunch_weeks (starts_on) VALUES ('2027-01-04')");
  await db.raw(
    `INSERT INTO orders (student_id, lunch_week_id, menu_item_id, weekday)
     SELECT s.id, (SELECT id FROM lunch_weeks), (SELECT id FROM menu_items), 1 FROM students s`,
  );
}

function format(r: ServersResults): string {
  const { signups: s, fleet: f, moves: m } = r;
  const spread = Object.entries(s.byServer)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const peaks = Object.entries(f.peakSampledByServer)
    .map(([name, n]) => `${name} ${n} sampled / ${f.peakReportedByServer[name] ?? 0} reported`)
    .join(', ');
  return [
    `Tenants on ${r.servers} servers (one machine: correctness and overhead, not capacity)`,
    `  signups  ${s.total} (${s.errors} errors), ${s.perSecond}/s, p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms; spread: ${spread}`,
    `  fleet    ${f.tenants} tenants, one new migration in ${f.ms} ms, ${f.failed} failed; peak connections (bound ${f.boundPerServer} per server): ${peaks}`,
    `  move     ${m.rows} rows: ${m.msEach.join(', ')} ms; read-only ${m.readOnlyMsEach.join(', ')} ms`,
  ].join('\n');
}
