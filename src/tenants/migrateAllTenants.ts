import type { SchoolsRepository } from '../catalog/schoolsRepository';
import type { Logger } from '../logger';
import type { TenantProvisioner } from './provisioner';

/**
 * Brings every catalogued tenant to the latest tenant migration, a few at a time. A tenant
 * that fails is reported and the run goes on: one broken school must not stop a deploy.
 */

export interface FleetMigrationSummary {
  total: number;
  migrated: number;
  failed: { dbName: string; error: string }[];
}

export async function migrateAllTenants(deps: {
  schools: SchoolsRepository;
  tenants: TenantProvisioner;
  logger: Logger;
  concurrency: number;
}): Promise<FleetMigrationSummary> {
  const { schools, tenants, logger, concurrency } = deps;
  const ready = (await schools.list()).filter((s) => s.status === 'ready');
  const summary: FleetMigrationSummary = { total: ready.length, migrated: 0, failed: [] };

  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ready.length; i = next++) {
      const school = ready[i]!;
      try {
        await tenants.migrate(school.dbName);
        summary.migrated++;
      } catch (error) {
        const message =
          (error as { causeMessage?: string }).causeMessage ?? (error as Error).message;
        summary.failed.push({ dbName: school.dbName, error: message });
        logger.error({ dbName: school.dbName, error: message }, 'tenant migration failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  logger.info(
    { total: summary.total, migrated: summary.migrated, failed: summary.failed.length },
    'tenant migration finished',
  );
  return summary;
}
