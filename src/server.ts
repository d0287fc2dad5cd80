import 'dotenv/config';
import type { Server } from 'node:http';
import { startService } from './service';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';

/** Entry point: config, start-up migrations, listen, graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  const service = await startService(config, logger);

  const server: Server = service.app.listen(config.http.port, config.http.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  logger.info({ url: `http://localhost:${config.http.port}` }, 'tenant signup service listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    // Stop accepting, let in-flight signups finish (or compensate), then stop the service's
    // background jobs and close the pools. A signup still running after the grace period is
    // cut off; the next start reconciles it.
    server.closeIdleConnections();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 25_000).unref())]);
    await service.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Logged without request data; the message names what failed (e.g. the port or a variable).
  const logger = createLogger('error');
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
