/** A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick), for servers stowage or a test starts. */
import { createServer } from 'node:net';

export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
