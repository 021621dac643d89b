/**
 * A TCP forwarder from 127.0.0.1:PORT to another address: the shaped registry listens in its own network
 * namespace, but dockerd only treats 127.0.0.0/8 registries as insecure (plain HTTP) without a daemon config
 * change, so the engine talks to 127.0.0.1 and the bytes cross the shaped veth pair behind it.
 *
 * It also adds `--latency`: each direction holds its bytes half the round trip before passing them on (a delay
 * line, in order). The kernels bench hello runs on need not have netem (this host's has tbf, htb and pfifo
 * only), and a delay in user space works everywhere. What it does not reproduce is TCP's window over a long
 * path: the forwarder ends each TCP connection, so only request/response round trips get slower.
 */
import { createServer, connect, type Socket } from 'node:net';
import { freeLocalPort } from './free-port.js';

export interface TcpForward {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** Bytes a delay line holds (waiting out the delay, or written and not yet taken by `to`) before it stops reading. */
const HELD_BYTES = 1 << 20;

/**
 * Writes what `from` reads into `to` `delayMs` later, in order; ends `to` as late after `from` ends. It stops
 * reading `from` while it holds more than HELD_BYTES, so a reader slower than its source (an engine unpacking)
 * slows the source down through TCP, as without the forwarder, instead of the bytes piling up here.
 */
function delayLine(from: Socket, to: Socket, delayMs: number): void {
  if (delayMs <= 0) {
    from.pipe(to);
    return;
  }
  let held = 0;
  const pace = () => {
    if (held + to.writableLength > HELD_BYTES) from.pause();
    else if (from.isPaused()) from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    held += chunk.length;
    pace();
    setTimeout(() => {
      held -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      pace();
    }, delayMs);
  });
  to.on('drain', pace);
  from.once('end', () => { setTimeout(() => to.end(), delayMs); });
}

/** Listens on a free port of 127.0.0.1 and pipes each connection to `host:port`, each way `delayMs` late. */
export async function startTcpForward(host: string, port: number, delayMs = 0): Promise<TcpForward> {
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
    delayLine(client, upstream, delayMs);
    delayLine(upstream, client, delayMs);
  });
  const listenPort = await freeLocalPort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  // kept referenced: while a pull is in flight the engine's socket to it may be all the event loop has (the
  // registry child is unref'd); stop() closes it
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${listenPort}`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })),
  };
}
