import { execFileSync } from 'node:child_process';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { lookAt } from '../../src/db/clusterUsers';
import { readPostmasterPid, sharedMemoryAttachments } from '../../src/db/postmasterPid';
import { spawnNpmStart, untilListening, type NpmStartGroup } from '../helpers/npmStartGroup';
import { freePort } from '../helpers/serverProcess';
import { signupBody } from '../helpers/signupData';
import { tempDir } from '../helpers/tempDir';
import { waitUntil } from '../helpers/waitUntil';

/**
 * Issue 12: `npm start` right after a process manager stopped the last one the hard way —
 * SIGTERM to the process group, then, as soon as npm has exited, SIGKILL to the group —
 * used to fail on the embedded PostgreSQL's lock file: the killed postmaster was still
 * exiting, or a zombie not reaped yet. Real processes, real PostgreSQL, one data folder.
 */

const ROUNDS = 20;
jest.setTimeout(ROUNDS * 30_000);

let env: Record<string, string>;
let dataDir: string;
let group: NpmStartGroup | undefined;
/** Every postmaster seen, with its shared-memory segment, to make sure all are gone. */
const postmasters = new Map<number, number | undefined>();

beforeAll(async () => {
  const dir = await tempDir('embedded-restart-');
  await chmod(dir, 0o755); // the postgres user must reach its data folder when we are root
  dataDir = path.join(dir, 'postgres');
  env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    PORT: String(await freePort()),
    EMBEDDED_PG_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    AUTH0_EMULATOR_PORT: String(await freePort()),
    AUTH0_EMULATOR_STATE_FILE: path.join(dir, 'auth0-emulator.json'),
    TENANT_SPARE_DATABASES: '0',
    RECONCILE_INTERVAL_SECONDS: '0',
    SIGNUP_RATE_LIMIT_MAX: '1000',
  };
});

afterAll(async () => {
  group?.signalGroup('SIGKILL');
  await leaveNothingRunning();
});

test(`restart right after SIGTERM then SIGKILL of the process group: ${ROUNDS} rounds, ${ROUNDS} starts serve`, async () => {
  const failures: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    group = spawnNpmStart(env);
    try {
      await untilListening(group, 90_000);
      const lock = readPostmasterPid(dataDir);
      if (lock) postmasters.set(lock.pid, lock.shmId);
      const signup = await request(`http://127.0.0.1:${env.PORT}`)
        .post('/users')
        .timeout(30_000)
        .send(signupBody(`Restart School ${round}`).request);
      if (signup.status !== 201) failures.push(`round ${round}: signup got ${signup.status}`);
    } catch (error) {
      failures.push(`round ${round}: ${(error as Error).message}\n${lastLines(group.output())}`);
    }
    // What a process manager does once its grace period is over (here: at once).
    group.signalGroup('SIGTERM');
    if (!(await exitsWithin(group, 30_000))) failures.push(`round ${round}: npm ignored SIGTERM`);
    group.signalGroup('SIGKILL');
    await group.npmExited;
  }
  expect(failures).toEqual([]);
});

function exitsWithin(group: NpmStartGroup, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  return Promise.race([group.npmExited.then(() => true), late]).finally(() => clearTimeout(timer));
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-8).join('\n');
}

/**
 * The killed postmasters' children left the group (setsid), so they are not ours to signal:
 * they exit by themselves once they see the postmaster gone. Then the last one's
 * shared-memory segment, which nobody will start over to clean, goes too.
 */
async function leaveNothingRunning(): Promise<void> {
  for (const [pid, shmId] of postmasters) {
    await waitUntil(`postmaster ${pid} to be gone`, () => !isPostgres(pid), { timeoutMs: 30_000 });
    if (shmId === undefined) continue;
    await waitUntil(`segment ${shmId} to be detached`, () => !sharedMemoryAttachments(shmId), {
      timeoutMs: 30_000,
    });
    if (await segmentOf(shmId, pid)) execFileSync('ipcrm', ['-m', String(shmId)]);
  }
}

/** Still our process, even as a zombie (once reaped, its pid may go to another program). */
function isPostgres(pid: number): boolean {
  const look = lookAt(pid);
  return look.state !== 'gone' && (look.program === undefined || look.program === 'postgres');
}

/** Whether segment `shmId` still exists and was made by postmaster `pid` (not a reused id). */
async function segmentOf(shmId: number, pid: number): Promise<boolean> {
  const rows = (await readFile('/proc/sysvipc/shm', 'utf8').catch(() => '')).split('\n');
  return rows.some((row) => {
    const [, id, , , cpid] = row.trim().split(/\s+/);
    return id === String(shmId) && cpid === String(pid);
  });
}
