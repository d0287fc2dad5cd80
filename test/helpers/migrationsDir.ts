import { copyFile, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_TENANT_MIGRATIONS_DIR } from '../../src/db/migrationSettings';

/** The real tenant migrations plus one extra (JavaScript) migration, in a temporary folder. */
export async function migrationsDirWith(extraUpSql: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tenant-migrations-'));
  for (const file of await readdir(DEFAULT_TENANT_MIGRATIONS_DIR)) {
    await copyFile(path.join(DEFAULT_TENANT_MIGRATIONS_DIR, file), path.join(dir, file));
  }
  await writeFile(
    path.join(dir, '29990101000000_extra.js'),
    `exports.up = async (knex) => { await knex.raw(${JSON.stringify(extraUpSql)}); };\nexports.down = async () => {};\n`,
  );
  return dir;
}
