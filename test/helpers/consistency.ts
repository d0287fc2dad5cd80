import type { Auth0Emulator } from '@tenant-signup/auth0-emulator';
import { withDatabase } from '../../src/db/databaseUrl';
import { withKnex, type Knex } from '../../src/db/knexFactory';
import { tenantMigrations } from '../../src/db/migrationSettings';
import { signupOfMarker } from '../../src/tenants/ownership';
import { loadTenantMigrationSet } from '../../src/tenants/migration/tenantSchema';

/**
 * The product's promise, checked across all three systems: every Auth0 user this service
 * created has a `ready` catalog row and a database at the latest migration; every catalog
 * row is `ready` and has its user and database; every database carrying our ownership
 * marker among `attempted` (the db names the test's signups asked for) belongs to a `ready`
 * row, and no staging database is left. Returns the ready tenants' db names.
 */
export async function expectConsistent(opts: {
  catalogDb: Knex;
  admin: Knex;
  emulator: Auth0Emulator;
  serverUrl: string;
  attempted: string[];
  migrationsDir?: string;
}): Promise<string[]> {
  const { catalogDb, admin, emulator, serverUrl, attempted, migrationsDir } = opts;
  const latest = loadTenantMigrationSet(migrationsDir).schema.version;
  const rows = (await catalogDb('catalog.schools').select()) as {
    id: string;
    db_name: string;
    status: string;
    auth0_user_id: string | null;
  }[];
  const ourUsers = emulator.users().filter((u) => typeof u.app_metadata?.signup_id === 'string');
  const ourDbs = (await admin('pg_database')
    .select('datname', admin.raw("shobj_description(oid, 'pg_database') AS marker"))
    .where(function stagingNotSpare() {
      void this.where('datname', 'like', 'signup\\_tmp\\_%')
        // Spares are kept on purpose by live servers (sparePool.ts), not left behind.
        .whereNot('datname', 'like', 'signup\\_tmp\\_%\\_spare\\_%');
    })
    .orWhereIn('datname', attempted)) as { datname: string; marker: string | null }[];
  const rowIds = new Set(rows.map((r) => r.id));

  for (const row of rows) {
    expect({ db: row.db_name, status: row.status }).toEqual({ db: row.db_name, status: 'ready' });
    const user = ourUsers.find((u) => u.user_id === row.auth0_user_id);
    expect({ db: row.db_name, userDb: user?.app_metadata?.db_name }).toEqual({
      db: row.db_name,
      userDb: row.db_name,
    });
    const version = await withKnex(withDatabase(serverUrl, row.db_name), {}, (db) =>
      db.migrate.currentVersion(tenantMigrations(migrationsDir)),
    );
    expect({ db: row.db_name, version }).toEqual({
      db: row.db_name,
      version: latest,
    });
  }
  for (const user of ourUsers) {
    expect({
      user: user.email,
      hasRow: rowIds.has(user.app_metadata?.signup_id as string),
    }).toEqual({
      user: user.email,
      hasRow: true,
    });
  }
  for (const db of ourDbs) {
    const owner = signupOfMarker(db.marker);
    const row = rows.find((r) => r.id === owner && r.db_name === db.datname);
    expect({ db: db.datname, ownedByReadyRow: row !== undefined }).toEqual({
      db: db.datname,
      ownedByReadyRow: true,
    });
  }
  return rows.map((r) => r.db_name);
}
