import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (the RabbitMQ broker), so a test can
 * make the broker "down" (stop: nothing listens, connections are cut) and "up" again, or
 * drop every open connection mid-stream, without touching the machine's broker.
 */
export interface TcpProxy {
  port: number;
  start(): Promise<void>;
  /** Stops listening and cuts every open connection. */
  stop(): Promise<void>;
  /** Cuts every open connection but keeps listening. */
  dropConnections(): void;
  connections(): number;
}

export async function createTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  // Reserve a port, then release it: the proxy starts "down".
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number };
      probe.close(() => resolve(p));
    });
  });
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  return {
    port,
    async start() {
      if (server) return;
      const srv = createServer((client) => {
        const upstream = connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const close = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', () => resolve());
      });
      server = srv;
    },
    async stop() {
      const srv = server;
      server = undefined;
      dropConnections();
      if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
    dropConnections,
    connections: () => sockets.size / 2,
  };
}
