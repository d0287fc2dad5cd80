import pino from 'pino';
import { createSparePool } from '../../src/tenants/provisioning/sparePool';
import { captureLogs } from '../helpers/logCapture';

/**
 * The pool's bookkeeping, with creation and dropping handed in as plain functions (the real
 * ones, against PostgreSQL, are exercised in test/integration/spareDatabases.test.ts).
 */

const logger = pino({ level: 'silent' });

function harness(size: number, log = logger) {
  let n = 0;
  const pending: { name: string; finish(ok: boolean | Error): void }[] = [];
  const dropped: string[] = [];
  const pool = createSparePool({
    size,
    nameFor: () => `spare_${++n}`,
    create: (name) =>
      new Promise<boolean>((resolve, reject) => {
        pending.push({ name, finish: (ok) => (ok instanceof Error ? reject(ok) : resolve(ok)) });
      }),
    drop: (name) => {
      dropped.push(name);
      return Promise.resolve();
    },
    logger: log,
  });
  /** Lets the clone started first finish, and the pool react to it. */
  const finishNext = async (ok: boolean | Error = true) => {
    pending.shift()!.finish(ok);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { pool, pending, dropped, finishNext };
}

test('fills up to its size one clone at a time, and hands out the oldest spare', async () => {
  const { pool, pending, finishNext } = harness(2);
  pool.fill();
  expect(pending.map((p) => p.name)).toEqual(['spare_1']);
  await finishNext();
  expect(pending.map((p) => p.name)).toEqual(['spare_2']);
  await finishNext();
  expect(pending).toHaveLength(0);
  expect(pool.stats()).toEqual({ served: 0, missed: 0, ready: 2 });

  await expect(pool.take()).resolves.toBe('spare_1');
  // Taking one starts its replacement.
  expect(pending.map((p) => p.name)).toEqual(['spare_3']);
  expect(pool.stats()).toEqual({ served: 1, missed: 0, ready: 1 });
});

test('a signup that finds its spare still being made waits for that one instead of cloning', async () => {
  const { pool, pending, finishNext } = harness(1);
  pool.fill();
  const taken = pool.take();
  expect(pending).toHaveLength(1); // no second clone competes with it
  await finishNext();
  await expect(taken).resolves.toBe('spare_1');
  expect(pending.map((p) => p.name)).toEqual(['spare_2']);
});

test('with nothing to hand out, take() says so and counts a miss', async () => {
  const { pool } = harness(0);
  pool.fill();
  await expect(pool.take()).resolves.toBeUndefined();
  expect(pool.stats()).toEqual({ served: 0, missed: 1, ready: 0 });
});

test('a failed clone is dropped from the pool and retried only when a signup next asks', async () => {
  const { pool, pending, finishNext } = harness(2);
  pool.fill();
  await finishNext(new Error('disk full'));
  expect(pending).toHaveLength(0); // no retry loop
  expect(pool.stats().ready).toBe(0);
  await expect(pool.take()).resolves.toBeUndefined();
  expect(pending.map((p) => p.name)).toEqual(['spare_2']);
  await finishNext(false); // the template cannot serve: same
  expect(pending).toHaveLength(0);
});

test('close() stops refilling and drops every spare it still holds, including one being made', async () => {
  const { pool, pending, dropped, finishNext } = harness(2);
  pool.fill();
  await finishNext();
  const closing = pool.close();
  expect(pending.map((p) => p.name)).toEqual(['spare_2']);
  await finishNext();
  await closing;
  expect(dropped).toEqual(['spare_1', 'spare_2']);
  expect(pending).toHaveLength(0);
  await expect(pool.take()).resolves.toBeUndefined();
  expect(pending).toHaveLength(0);
});

test('idle() waits for the clone being made', async () => {
  const { pool, finishNext } = harness(1);
  pool.fill();
  let idle = false;
  const waiting = pool.idle().then(() => (idle = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(idle).toBe(false);
  await finishNext();
  await waiting;
  expect(idle).toBe(true);
});

test('an unavailable template is warned about once per outage, not at every signup', async () => {
  const logs = captureLogs('debug');
  const { pool, finishNext } = harness(1, logs.logger);
  const warnings = () => logs.lines.filter((l) => JSON.parse(l).level === 40).length;
  pool.fill();
  await finishNext(false);
  // Each signup finds no spare and starts another attempt, which fails too.
  for (let i = 0; i < 3; i++) {
    await expect(pool.take()).resolves.toBeUndefined();
    await finishNext(i === 1 ? new Error('template is being refreshed') : false);
  }
  expect(warnings()).toBe(1);
  expect(logs.text()).toContain('making a spare database failed'); // the repeat, at debug

  await expect(pool.take()).resolves.toBeUndefined();
  await finishNext(true); // the template is back
  expect(logs.text()).toContain('spare databases are being made again');
  await expect(pool.take()).resolves.toBe('spare_5');
  await finishNext(false); // a new outage is warned about again
  expect(warnings()).toBe(2);
});
