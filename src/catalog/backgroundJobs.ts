import type { Knex } from '../db/knexFactory';

/**
 * catalog.background_jobs: periodic jobs that every server would otherwise run on its own
 * clock. `claim` starts a run only if none started within `everySeconds`, atomically, so N
 * servers run such a job once per interval between them.
 */
export interface BackgroundJobs {
  /**
   * Claims a run of `name`: undefined when another run started less than `everySeconds`
   * ago; otherwise when the previous run started (null: never).
   */
  claim(name: string, everySeconds: number): Promise<{ previous: Date | null } | undefined>;
}

export function createBackgroundJobs(db: Knex): BackgroundJobs {
  return {
    async claim(name, everySeconds) {
      const { rows } = await db.raw<{ rows: { previous: Date | null }[] }>(
        `WITH prev AS (SELECT last_started_at FROM catalog.background_jobs WHERE name = ?)
         INSERT INTO catalog.background_jobs AS j (name, last_started_at) VALUES (?, now())
         ON CONFLICT (name) DO UPDATE SET last_started_at = now()
           WHERE j.last_started_at <= now() - make_interval(secs => ?)
         RETURNING (SELECT last_started_at FROM prev) AS previous`,
        [name, name, everySeconds],
      );
      return rows[0];
    },
  };
}
