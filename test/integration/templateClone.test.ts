import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, type Knex } from '../../src/db/knexFactory';
import { createLogger } from '../../src/logger';
import {
  cloneTemplate,
  ensureTemplate,
  TEMPLATE_LOCK_KEY,
  templateMarker,
} from '../../src/tenants/provisioning/template';
import { loadTenantMigrationSet } from '../../src/tenants/migration/tenantSchema';
import { serverUrl, uniqueSuffix } from '../helpers/testService';

/**
 * Cloning against a template refresh in progress (another release's server starting): the
 * clone waits for the refresh's lock, then must judge the template as the refresh left it.
 */

const v2026 = { version: '20260101000000', set: '0123456789abcdef' };
const v2027 = { version: '20270101000000', set: 'fedcba9876543210' };
const mark = (template: string, schema: typeof v2026) =>
  admin.raw(`COMMENT ON DATABASE ?? IS '${templateMarker(schema)}'`, [template]);

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
  await mark(template, v2026);

  // A refresh holds the template lock exclusively...
  await locker.raw('SELECT pg_advisory_lock(?)', [TEMPLATE_LOCK_KEY]);
  const cloning = cloneTemplate(admin, template, clone, v2026);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // ...moves the template to a newer release's version, and lets go.
  await mark(template, v2027);
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
  await mark(template, v2026);

  await expect(cloneTemplate(admin, template, clone, v2026)).resolves.toBe(true);
  const rows = (await admin('pg_database').where({ datname: clone })) as unknown[];
  expect(rows).toHaveLength(1);
});

test('a template at the same version but made from another set of migrations is not cloned', async () => {
  const template = `test_tpl_${uniqueSuffix()}`;
  const clone = `test_clone_${uniqueSuffix()}`;
  created.push(template, clone);
  await admin.raw('CREATE DATABASE ??', [template]);
  // A migration with an older timestamp was merged since: same newest version, another set.
  await mark(template, { ...v2026, set: 'aaaaaaaaaaaaaaaa' });

  await expect(cloneTemplate(admin, template, clone, v2026)).resolves.toBe(false);
  const rows = (await admin('pg_database').where({ datname: clone })) as unknown[];
  expect(rows).toHaveLength(0);
});

test('a refreshed template is frozen, so its clones inherit rows that never need freezing', async () => {
  const template = `test_tpl_${uniqueSuffix()}`;
  created.push(template);

  await ensureTemplate({
    admin,
    serverUrl: serverUrl(),
    template,
    latest: loadTenantMigrationSet().schema,
    logger: createLogger('silent'),
  });

  // Created from template1, it starts with template1's datfrozenxid; frozen, it moves on.
  const { rows } = await admin.raw<{ rows: { template: string; template1: string }[] }>(
    `SELECT age(d.datfrozenxid) AS template,
            (SELECT age(datfrozenxid) FROM pg_database WHERE datname = 'template1') AS template1
       FROM pg_database d WHERE d.datname = ?`,
    [template],
  );
  expect(Number(rows[0]!.template)).toBeLessThan(Number(rows[0]!.template1));
});
