/**
 * A TCP forwarder from 127.0.0.1:PORT to another address: the shaped registry listens in its own network
 * namespace, but dockerd only treats 127.0.0.0/8 registries as insecure (plain HTTP) without a daemon config
 * change, so the engine talks to 127.0.0.1 and the bytes cross the shaped veth pair behind it.
 */
import { createServer, connect, type Socket } from 'node:net';
import { freeLocalPort } from './free-port.js';

export interface TcpForward {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and pipes each connection to `host:port`. */
export async function startTcpForward(host: string, port: number): Promise<TcpForward> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.setNoDelay(true);
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listenPort = await freeLocalPort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  // the forwarder must not keep the process alive on its own
  server.unref();
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${listenPort}`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })),
  };
}
