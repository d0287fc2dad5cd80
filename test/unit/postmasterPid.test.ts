import { parsePostmasterPid } from '../../src/db/postmasterPid';
import { PostmasterLog } from '../../src/db/postmasterStart';

// As PostgreSQL 17 writes it once ready (miscadmin.h, LOCK_FILE_LINE_*).
const READY = [
  '11663',
  '/tmp/data/postgres',
  '1796156932',
  '38102',
  '/tmp',
  '127.0.0.1',
  '  2146362        33',
  'ready   ',
  '',
].join('\n');

describe('parsePostmasterPid', () => {
  test('a ready postmaster: pid, port, socket directory, shared-memory id and status', () => {
    expect(parsePostmasterPid(READY)).toEqual({
      pid: 11663,
      port: 38102,
      socketDir: '/tmp',
      shmId: 33,
      status: 'ready',
    });
  });

  test('a postmaster still starting has written no shared-memory line yet', () => {
    const starting = READY.split('\n').slice(0, 6).join('\n');
    expect(parsePostmasterPid(starting)).toMatchObject({ pid: 11663, shmId: undefined });
  });

  test('no socket directory (unix sockets off) leaves socketDir unset', () => {
    const lines = READY.split('\n');
    lines[4] = '';
    expect(parsePostmasterPid(lines.join('\n'))?.socketDir).toBeUndefined();
  });

  test('a standalone backend writes its pid negated', () => {
    expect(parsePostmasterPid('-4242\n/tmp/data\n')?.pid).toBe(4242);
  });

  test.each(['', '\n', 'abc\n', '0\n', '12abc\n'])('no pid in %j', (text) => {
    expect(parsePostmasterPid(text)).toBeUndefined();
  });
});

describe('PostmasterLog.reason', () => {
  test("is PostgreSQL's FATAL line and its HINT, without the line prefix", () => {
    const log = new PostmasterLog();
    log.add('2026-12-01 20:28:36.570 UTC [12345] LOG:  starting PostgreSQL 17\n');
    log.add(
      '2026-12-01 20:28:36.571 UTC [12345] FATAL:  lock file "postmaster.pid" already exists\n' +
        '2026-12-01 20:28:36.571 UTC [12345] HINT:  Is another postmaster (PID 11663) running in data directory "/tmp/data"?\n',
    );
    expect(log.reason()).toBe(
      'FATAL: lock file "postmaster.pid" already exists; HINT: Is another postmaster (PID 11663) running in data directory "/tmp/data"?',
    );
  });

  test('is undefined when the postmaster said nothing fatal', () => {
    const log = new PostmasterLog();
    log.add('LOG:  database system is shut down\n');
    expect(log.reason()).toBeUndefined();
  });

  test('keeps passwords out', () => {
    const log = new PostmasterLog();
    log.add('FATAL:  bad setting password=hunter2 in postgres://app:hunter2@db/x\n');
    expect(log.text()).not.toContain('hunter2');
  });
});
