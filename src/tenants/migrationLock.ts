/**
 * The advisory lock every migrator takes in a tenant database before touching its schema:
 * knex's lock table *fails* when another process holds it (knex #1950), an advisory lock
 * makes the second migrator wait and then find nothing left to do. An arbitrary constant,
 * "tenant schema migration", the same in every tenant database.
 */
export const MIGRATION_LOCK_KEY = 7_302_114_551;
