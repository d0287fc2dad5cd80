import { copyFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_TENANT_MIGRATIONS_DIR } from '../../src/db/migrationSettings';
import { tempDir } from './tempDir';

/**
 * The real tenant migrations plus one extra (JavaScript) migration, in a temporary folder
 * (removed after the test file that made it).
 */
export async function migrationsDirWith(extraUpSql: string): Promise<string> {
  const dir = await tempDir('tenant-migrations-');
  for (const file of await readdir(DEFAULT_TENANT_MIGRATIONS_DIR)) {
    await copyFile(path.join(DEFAULT_TENANT_MIGRATIONS_DIR, file), path.join(dir, file));
  }
  await writeFile(
    path.join(dir, '29990101000000_extra.js'),
    `exports.up = async (knex) => { await knex.raw(${JSON.stringify(extraUpSql)}); };\nexports.down = async () => {};\n`,
  );
  return dir;
}
