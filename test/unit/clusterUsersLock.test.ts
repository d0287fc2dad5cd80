import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterUsers } from '../../src/db/clusterUsers';
import { tempDir } from '../helpers/tempDir';

/**
 * The lock that serialises starting and stopping a shared embedded cluster, as a kill -9
 * leaves it. A lock nobody would take over blocked every later start for two minutes.
 */

let dataDir: string;

beforeEach(async () => {
  dataDir = path.join(await tempDir('cluster-lock-'), 'postgres');
});

const lockDir = () => `${dataDir}.lock`;

test('while held, the lock carries its holder pid; released, nothing of it is left', async () => {
  const users = new ClusterUsers(dataDir);
  const seen = await users.exclusively(() =>
    Promise.resolve(readdirSync(lockDir()).map((name) => path.join(lockDir(), name))),
  );
  expect(seen).toEqual([path.join(lockDir(), 'pid')]);
  expect(readdirSync(path.dirname(dataDir))).toEqual([]);
});

test('a lock left without a pid (killed between its two steps) does not block the next holder', async () => {
  mkdirSync(lockDir());
  const started = Date.now();
  await new ClusterUsers(dataDir).exclusively(() => Promise.resolve());
  expect(Date.now() - started).toBeLessThan(1000);
  expect(existsSync(lockDir())).toBe(false);
});

test('a lock whose pid file stayed empty is taken over once it had time to be written', async () => {
  mkdirSync(lockDir());
  writeFileSync(path.join(lockDir(), 'pid'), '');
  const longAgo = new Date(Date.now() - 60_000);
  utimesSync(lockDir(), longAgo, longAgo);
  await new ClusterUsers(dataDir).exclusively(() => Promise.resolve());
  expect(existsSync(lockDir())).toBe(false);
});

test('a lock of a dead holder is taken over', async () => {
  mkdirSync(lockDir());
  // Beyond any real pid (pid_max is at most 2^22), so certainly no process.
  writeFileSync(path.join(lockDir(), 'pid'), String(2 ** 22 + 1));
  await new ClusterUsers(dataDir).exclusively(() => Promise.resolve());
  expect(existsSync(lockDir())).toBe(false);
});
