import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '@tenant-signup/auth0-emulator';
import { withDatabase } from '../../src/db/databaseUrl';
import { createKnex, withKnex } from '../../src/db/knexFactory';
import { migrationsDirWith } from '../helpers/migrationsDir';
import { freePort, startServerProcess } from '../helpers/serverProcess';
import { signupBody } from '../helpers/signupData';
import { tempDir } from '../helpers/tempDir';
import { databaseExists, serverUrl, uniqueSuffix } from '../helpers/testService';

/**
 * `npm start`, stop, `npm start` again: the catalog, the tenant databases and the emulator's
 * users survive, every tenant is re-migrated at start-up, and new signups still work.
 */

jest.setTimeout(120_000);

const catalogDb = `test_catalog_${uniqueSuffix()}`;
const templateDb = `test_template_${uniqueSuffix()}`;
const admin = createKnex(withDatabase(serverUrl(), 'postgres'), { pool: { min: 0, max: 1 } });
const created: string[] = [];

afterAll(async () => {
  for (const db of [...created, catalogDb, templateDb])
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [db]);
  await admin.destroy();
});

async function emulatorUsersByEmail(emulatorUrl: string, email: string) {
  const token = await request(emulatorUrl)
    .post('/oauth/token')
    .send({
      grant_type: 'client_credentials',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      audience: `${emulatorUrl}/api/v2/`,
    });
  const res = await request(emulatorUrl)
    .get('/api/v2/users-by-email')
    .query({ email })
    .set('authorization', `Bearer ${token.body.access_token}`);
  return res.body as { user_id: string; app_metadata: { db_name: string } }[];
}

test('after a stop and a restart, earlier tenants are still there and re-migrated, and new signups work', async () => {
  const stateDir = await tempDir('signup-restart-');
  const migrationsDir = await migrationsDirWith('SELECT 1');
  const emulatorPort = await freePort();
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_URL: withDatabase(serverUrl(), catalogDb),
    AUTH0_EMULATOR_PORT: String(emulatorPort),
    AUTH0_EMULATOR_STATE_FILE: path.join(stateDir, 'auth0.json'),
    TENANT_MIGRATIONS_DIR: migrationsDir,
    TENANT_TEMPLATE_DB: templateDb,
  };
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const { request: first, dbName } = signupBody('Restart School');
  created.push(dbName);

  const run1 = await startServerProcess(env);
  expect(run1.output()).toContain('LOCAL AUTH0 EMULATOR');
  await request(run1.url).post('/users').send(first).expect(201);
  expect(await run1.stop('SIGTERM')).toBe(0);

  // A release with a new tenant migration: the restart must bring the old tenant to it.
  await writeFile(
    path.join(migrationsDir, '29990101000001_add_allergy_notes.js'),
    "exports.up = (knex) => knex.schema.alterTable('students', (t) => t.text('allergy_notes'));\n" +
      "exports.down = (knex) => knex.schema.alterTable('students', (t) => t.dropColumn('allergy_notes'));\n",
  );
  const run2 = await startServerProcess(env);
  try {
    expect(run2.output()).toMatch(
      /"total":1,"upToDate":0,"migrated":1,"failed":0[^\n]*tenant migration finished/,
    );
    expect(await databaseExists(admin, dbName)).toBe(true);
    const columns = await withKnex(withDatabase(serverUrl(), dbName), {}, (db) =>
      db('information_schema.columns').where({ table_name: 'students' }).pluck('column_name'),
    );
    expect(columns).toContain('allergy_notes');
    const users = await emulatorUsersByEmail(emulatorUrl, first.email);
    expect(users.map((u) => u.app_metadata.db_name)).toEqual([dbName]);

    // The same school is still taken; a new one signs up.
    expect(
      (
        await request(run2.url)
          .post('/users')
          .send({ ...first, email: `x${first.email}` })
      ).status,
    ).toBe(409);
    const second = signupBody('Second School');
    created.push(second.dbName);
    await request(run2.url).post('/users').send(second.request).expect(201);
  } finally {
    await run2.stop();
  }
});
