import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { cloneTemplate, TEMPLATE_LOCK_KEY } from '../../src/tenants/templateDatabase';
import { serverUrl, uniqueSuffix } from '../helpers/testService';

/**
 * Cloning against a template refresh in progress (another release's server starting): the
 * clone waits for the refresh's lock, then must judge the template as the refresh left it.
 */

let admin: Knex;
let locker: Knex;
const created: string[] = [];

beforeAll(() => {
  admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 4 } });
  locker = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 1, max: 1 } });
});
afterAll(async () => {
  for (const db of created) await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await locker.destroy();
  await admin.destroy();
});

test('a clone that waited for a template refresh sees the refreshed version, and declines when it is not its own', async () => {
  const template = `test_tpl_${uniqueSuffix()}`;
  const clone = `test_clone_${uniqueSuffix()}`;
  created.push(template, clone);
  await admin.raw('CREATE DATABASE ??', [template]);
  await admin.raw(`COMMENT ON DATABASE ?? IS 'tenant-template version=20260101000000'`, [template]);

  // A refresh holds the template lock exclusively...
  await locker.raw('SELECT pg_advisory_lock(?)', [TEMPLATE_LOCK_KEY]);
  const cloning = cloneTemplate(admin, template, clone, '20260101000000');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // ...moves the template to a newer release's version, and lets go.
  await admin.raw(`COMMENT ON DATABASE ?? IS 'tenant-template version=20270101000000'`, [template]);
  await locker.raw('SELECT pg_advisory_unlock(?)', [TEMPLATE_LOCK_KEY]);

  await expect(cloning).resolves.toBe(false);
  const rows = (await admin('pg_database').where({ datname: clone })) as unknown[];
  expect(rows).toHaveLength(0);
});

test('with the template at its version and no refresh running, the clone is made', async () => {
  const template = `test_tpl_${uniqueSuffix()}`;
  const clone = `test_clone_${uniqueSuffix()}`;
  created.push(template, clone);
  await admin.raw('CREATE DATABASE ??', [template]);
  await admin.raw(`COMMENT ON DATABASE ?? IS 'tenant-template version=20260101000000'`, [template]);

  await expect(cloneTemplate(admin, template, clone, '20260101000000')).resolves.toBe(true);
  const rows = (await admin('pg_database').where({ datname: clone })) as unknown[];
  expect(rows).toHaveLength(1);
});
