/**
 * A TCP relay in front of a real or fake server, for outage tests: `cut()` drops every open connection and stops
 * listening (what a client sees when the provider's host goes away: reset, then connection refused), `restore()`
 * listens again on the same port, so the client under test never needs reconfiguring.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface OutageProxy {
  port: number;
  /** Client connections relayed right now (e.g. to wait until every client has reconnected). */
  connections(): number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startOutageProxy(target: { host?: string; port: number }): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const makeServer = () =>
    createServer((client) => {
      const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
      track(client);
      track(upstream);
      clients.add(client);
      client.on('close', () => clients.delete(client));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  let server: Server | undefined = makeServer();
  const port = await listen(server, 0);

  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    port,
    connections: () => clients.size,
    cut,
    async restore() {
      if (server) return;
      server = makeServer();
      await listen(server, port);
    },
    close: cut,
  };
}
