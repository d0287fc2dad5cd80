import { Client } from 'pg';

/** Which backends count as tenant connections: their database's name, or their application. */
export type TenantBackends = { datnameLike: string } | { applicationName: string };

/**
 * Polls pg_stat_activity until stopped, a query every ~50 ms, for the peak of tenant
 * connections and of client backends on the whole server (the sampler's own included). Not
 * faster: each query wakes the server, and at 10 ms the sampler alone took about a sixth of a
 * saturated 2-core machine during the run it was measuring. A tenant connection is open for
 * a whole migration or request, so 50 ms still sees every level of concurrency many times.
 */
export async function startSampler(adminUrl: string, which: TenantBackends) {
  const [predicate, param] =
    'datnameLike' in which
      ? ['datname LIKE $1', which.datnameLike]
      : ['application_name = $1', which.applicationName];
  const client = new Client({ connectionString: adminUrl, application_name: 'bench sampler' });
  await client.connect();
  let tenant = 0;
  let total = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ tenant: number; total: number }>(
        `SELECT count(*) FILTER (WHERE ${predicate})::int AS tenant,
                count(*) FILTER (WHERE backend_type = 'client backend')::int AS total
         FROM pg_stat_activity`,
        [param],
      );
      tenant = Math.max(tenant, rows[0]!.tenant);
      total = Math.max(total, rows[0]!.total);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  // A failed poll ends the sampling; stop() reports it rather than an unhandled rejection.
  loop.catch(() => undefined);
  return async () => {
    running = false;
    await loop;
    await client.end();
    return { tenant, total };
  };
}
