import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex } from '../../src/db/knexFactory';
import { runTenantsCli } from '../helpers/cliProcess';
import { serverUrl, uniqueSuffix } from '../helpers/testService';

/**
 * Operator typos: a bad option is a usage error (exit 2, one line naming it, then the
 * command's usage) and nothing runs — not even the catalog database is created.
 */

jest.setTimeout(120_000);

const catalogDb = `test_catalog_${uniqueSuffix()}`;
const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 1 } });
const env = () => ({ NODE_ENV: 'test', DATABASE_URL: withDatabase(serverUrl(), catalogDb) });

afterAll(async () => {
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [catalogDb]);
  await admin.destroy();
});

test.each([
  [
    ['migrate', '--concurrency', 'abc'],
    "--concurrency must be a whole number from 1 to 100, got 'abc'",
  ],
  [
    ['migrate', '--concurrency', '0'],
    "--concurrency must be a whole number from 1 to 100, got '0'",
  ],
  [
    ['migrate', '--concurrency', '2.5'],
    "--concurrency must be a whole number from 1 to 100, got '2.5'",
  ],
  [['migrate', '--concurrency=-3'], "--concurrency must be a whole number from 1 to 100, got '-3'"],
  [
    ['migrate', '--concurrency', '-3'],
    "--concurrency needs a value; for one starting with '-' write --concurrency=<value>",
  ],
  [
    ['migrate', '--concurrency', '1e3'],
    "--concurrency must be a whole number from 1 to 100, got '1e3'",
  ],
  [['migrate', '--concurrency'], "Option '--concurrency <value>' argument missing"],
  [['migrate', '--concurency', '4'], "Unknown option '--concurency'"],
  [['migrate', 'extra'], "unexpected argument 'extra'"],
  [
    ['rollback', '--all', '--concurrency', 'abc'],
    "--concurrency must be a whole number from 1 to 100, got 'abc'",
  ],
  [['rollback'], 'give either one <db_name> or --all'],
  [['rollback', 'a_school', '--all'], 'give either one <db_name> or --all'],
  [['delete'], 'missing <db_name>'],
  [
    ['delete', 'a_school'],
    'this drops a_school and all its data, and deletes its Auth0 user: re-run with --yes to confirm',
  ],
  [['status', '--jsn'], "Unknown option '--jsn'"],
  [['reconcile', 'now'], "unexpected argument 'now'"],
])('tenants %j: exits 2 with one line and the usage, and does nothing', async (args, message) => {
  const res = await runTenantsCli(args, env());

  expect(res.code).toBe(2);
  const [first, blank, usage] = res.stderr.split('\n');
  expect(first).toBe(`${args[0]}: ${message}`);
  expect(blank).toBe('');
  expect(usage).toMatch(new RegExp(`^Usage: npm run tenants -- ${args[0]}`));
  expect(res.stderr).not.toMatch(/Failed|Error:|\n\s+at /);
  expect(res.stdout).toBe('');
  const created: unknown = await admin('pg_database').where({ datname: catalogDb }).first();
  expect(created).toBeUndefined();
});
