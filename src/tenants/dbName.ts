import { createHash } from 'node:crypto';
import anyAscii from 'any-ascii';

/**
 * The tenant naming rule. A school's database name is a deterministic slug of its name:
 *   1. Unicode is transliterated to ASCII (École → Ecole, Straße → Strasse, 東京 → DongJing);
 *      emoji are dropped and apostrophes vanish (St. Mary's → st_marys).
 *   2. Lower case; every run of anything but a-z/0-9 becomes one `_`; no `_` at either end.
 *   3. At most 63 bytes (PostgreSQL's identifier limit): longer slugs keep their first 54
 *      characters plus `_` and 8 hex digits of a SHA-256 of the whole slug, so long names
 *      that share a prefix stay distinct.
 *   4. Never a system or service database: postgres, template0/1, anything starting pg_ or
 *      signup_tmp_ (our staging databases), and the names in `reserved` (the catalog
 *      database, the tenant template) are refused.
 * The result matches ^[a-z0-9_]{1,63}$ and is still always quoted as an identifier in SQL.
 */

export const MAX_DB_NAME_BYTES = 63;
export const DB_NAME_PATTERN = /^[a-z0-9_]{1,63}$/;

const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

/** Prefix of the databases signups create before renaming them (see serverDatabases.ts). */
export const STAGING_PREFIX = 'signup_tmp_';

export type DbNameResult =
  { ok: true; dbName: string } | { ok: false; reason: 'empty' | 'reserved' };

const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u{FE0F}|\u{200D}|\u{20E3}/gu;
const APOSTROPHES = /['\u2018\u2019\u02BC`´]/g;

export function slugify(schoolName: string): string {
  const ascii = anyAscii(schoolName.normalize('NFKC').replace(EMOJI, ''));
  return ascii
    .replace(APOSTROPHES, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function shorten(slug: string): string {
  if (slug.length <= MAX_DB_NAME_BYTES) return slug;
  const hash = createHash('sha256').update(slug).digest('hex').slice(0, 8);
  return `${slug.slice(0, MAX_DB_NAME_BYTES - 9).replace(/_+$/, '')}_${hash}`;
}

export function isReservedDbName(name: string, reserved: ReadonlySet<string> = new Set()): boolean {
  return (
    SYSTEM_DATABASES.has(name) ||
    name.startsWith('pg_') ||
    name.startsWith(STAGING_PREFIX) ||
    reserved.has(name)
  );
}

export function toDbName(
  schoolName: string,
  reserved: ReadonlySet<string> = new Set(),
): DbNameResult {
  const dbName = shorten(slugify(schoolName));
  if (!dbName) return { ok: false, reason: 'empty' };
  if (isReservedDbName(dbName, reserved)) return { ok: false, reason: 'reserved' };
  return { ok: true, dbName };
}

/**
 * Defence in depth for every place that puts a name into SQL: even though names are quoted
 * as identifiers, nothing that breaks the rule gets that far.
 */
export function assertTenantDbName(
  name: string,
  reserved: ReadonlySet<string> = new Set(),
  options: { allowStaging?: boolean } = {},
): void {
  const staging = options.allowStaging === true && name.startsWith(STAGING_PREFIX);
  if (!DB_NAME_PATTERN.test(name) || (!staging && isReservedDbName(name, reserved))) {
    throw new Error(`Refusing to use ${JSON.stringify(name)} as a tenant database name`);
  }
}
