import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  startAuth0Emulator,
  type Auth0Emulator,
} from '@tenant-signup/auth0-emulator';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { expectConsistent } from '../helpers/consistency';
import { startPgCluster, type PgCluster } from '../helpers/pgCluster';
import { freePort, startServerProcess, type ServerProcess } from '../helpers/serverProcess';
import { signupBody, TEST_PASSWORD } from '../helpers/signupData';
import { waitUntil } from '../helpers/waitUntil';

/**
 * The catalog's PostgreSQL restarts (fast shutdown, then start) while ten clients sign up in
 * a loop. Every answer must be 201, a 4xx, or a 503 with Retry-After; the service must serve
 * again by itself once the database is back; and nothing may be left behind. The server is
 * the real entry point in a child process; PostgreSQL is a cluster of this test's own, so
 * restarting it disturbs no other test.
 */

jest.setTimeout(240_000);

const CLIENTS = 10;
let dir: string;
let dataDir: string;
let port: number;
let pg: PgCluster | undefined;
let emulator: Auth0Emulator;
let server: ServerProcess;
let catalog: Knex;
let admin: Knex;
const catalogDb = 'restart_catalog';

const startPg = () => startPgCluster(dataDir, port);

beforeAll(async () => {
  // Not tempDir(): its clean-up could run while the cluster is still stopping.
  dir = await mkdtemp(path.join(tmpdir(), 'signup-pg-restart-'));
  await chmod(dir, 0o755); // the postgres user must reach its data directory when we are root
  dataDir = path.join(dir, 'data');
  port = await freePort();
  pg = await startPg();
  emulator = await startAuth0Emulator();
  const catalogUrl = withDatabase(pg.url, catalogDb);
  server = await startServerProcess({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: catalogUrl,
    AUTH0_DOMAIN: emulator.url,
    AUTH0_CLIENT_ID: EMULATOR_CLIENT_ID,
    AUTH0_CLIENT_SECRET: EMULATOR_CLIENT_SECRET,
    SIGNUP_RATE_LIMIT_MAX: '100000',
    RECONCILE_INTERVAL_SECONDS: '2',
  });
  catalog = createKnex(catalogUrl, { pool: { min: 0, max: 2 } });
  admin = createKnex(pg.url, { pool: { min: 0, max: 2 } });
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  await catalog?.destroy();
  await admin?.destroy();
  await emulator?.stop();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
}

async function signUpOnce(body: ReturnType<typeof signupBody>): Promise<Answer> {
  try {
    const res = await fetch(`${server.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body.request),
      signal: AbortSignal.timeout(60_000),
    });
    const json = (await res.json()) as { error?: { code?: string } };
    return {
      status: res.status,
      code: json.error?.code,
      retryAfter: res.headers.get('retry-after'),
    };
  } catch (error) {
    return { status: 0, code: String(error), retryAfter: null };
  }
}

test('a PostgreSQL restart under ten signup loops: only 201, 4xx or 503 with Retry-After, serving again by itself, nothing left behind', async () => {
  const answers: Answer[] = [];
  const attempted: string[] = [];
  let running = true;
  const loop = async (client: number) => {
    for (let i = 0; running; i++) {
      const body = signupBody(`Restart ${client} ${i}`);
      attempted.push(body.dbName);
      answers.push(await signUpOnce(body));
    }
  };
  const loops = Array.from({ length: CLIENTS }, (_, i) => loop(i));

  await waitUntil('signups before the restart', () => answers.length >= 20, { timeoutMs: 60_000 });
  await pg!.stop();
  pg = undefined;
  await new Promise((resolve) => setTimeout(resolve, 1000)); // down for a moment: refused
  pg = await startPg();
  const back = answers.length;
  await waitUntil(
    'a 201 after the restart',
    () => answers.slice(back).some((a) => a.status === 201),
    {
      timeoutMs: 30_000,
    },
  );
  const okAfter = answers.length;
  await waitUntil(
    'more 201s after the restart',
    () => answers.slice(okAfter).filter((a) => a.status === 201).length >= 10,
    {
      timeoutMs: 30_000,
    },
  );
  running = false;
  await Promise.all(loops);

  const unexpected = answers.filter(
    (a) =>
      !(
        a.status === 201 ||
        (a.status >= 400 && a.status < 500) ||
        (a.status === 503 && a.retryAfter)
      ),
  );
  expect(unexpected).toEqual([]);
  expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
  expect(new Set(answers.filter((a) => a.status === 503).map((a) => a.code))).toEqual(
    new Set(['database_unavailable']),
  );

  // Whatever an undo could not finish while the database was away, the reconciler does.
  await waitUntil(
    'no unfinished signup',
    async () =>
      (await catalog('catalog.schools').whereNot({ status: 'ready' }).first()) ? undefined : true,
    { timeoutMs: 60_000 },
  );
  await expectConsistent({ catalogDb: catalog, admin, emulator, serverUrl: pg.url, attempted });
  expect(server.output()).not.toContain(TEST_PASSWORD);
});
