import { createServer, type Server, type Socket } from 'node:net';
import type { Knex } from '../../src/db/knexFactory';

/**
 * Real outages without stopping the shared test PostgreSQL: one database stops accepting
 * connections and loses the ones it had, exactly what its clients would see if it went down.
 */
export async function cutOffDatabase(admin: Knex, database: string): Promise<void> {
  await admin.raw('ALTER DATABASE ?? ALLOW_CONNECTIONS false', [database]);
  await admin.raw(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()',
    [database],
  );
}

export async function restoreDatabase(admin: Knex, database: string): Promise<void> {
  await admin.raw('ALTER DATABASE ?? ALLOW_CONNECTIONS true', [database]);
}

/** A TCP server that accepts connections and never says a word: a hung database server. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
