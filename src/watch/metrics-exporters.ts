/**
 * Where watch's metrics go: an HTTP server answering `GET /metrics` (what Prometheus scrapes), or a `.prom`
 * file rewritten atomically for node_exporter's textfile collector. Both read a render function on demand.
 */
import { createServer, type Server } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { BadInputError, HostError, RefusedError } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../render/prometheus-text.js';

export interface MetricsServer {
  /** The address it listens on, `127.0.0.1:9323`. */
  address: string;
  close(): Promise<void>;
}

/** Serves `/metrics` (and a one-line page at `/`) on host:port; rejects when the port cannot be had. */
export function serveMetrics(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      const body = render();
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('stowage watch: metrics at /metrics\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
    }
  });
  // a scrape must not keep the process from exiting once watch stops
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      if (err.code === 'EADDRINUSE') reject(new RefusedError(`cannot listen on ${where}: the port is in use`, 'Pick another port with --listen, or stop what holds it (ss -ltnp).'));
      else if (err.code === 'EADDRNOTAVAIL') reject(new BadInputError(`cannot listen on ${where}: no such address on this host`, 'Listen on 127.0.0.1 or an address of this host.'));
      else if (err.code === 'EACCES') reject(new HostError(`cannot listen on ${where}: permission denied`, 'Ports under 1024 need root; use a higher port.'));
      else reject(new HostError(`cannot listen on ${where}: ${err.message}`));
    });
    server.listen(port, host, () => {
      const a = server.address();
      const bound = typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `${host}:${port}`;
      resolve({
        address: bound,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

/** The `.prom` file node_exporter's textfile collector reads from `dir`. */
export const TEXTFILE_NAME = 'stowage.prom';

/** Writes the metrics to DIR/stowage.prom atomically (a scrape never sees half a file); errors name the path. */
export async function writeTextfile(dir: string, text: string): Promise<string> {
  const path = join(dir, TEXTFILE_NAME);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new BadInputError(`--textfile ${dir}: no such directory`, "Give node_exporter's --collector.textfile.directory (it must exist).");
  }
  if (!isDir) throw new BadInputError(`--textfile ${dir}: not a directory`, "Give node_exporter's --collector.textfile.directory.");
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only filesystem' : code === 'ENOSPC' ? 'no space left' : (err as Error).message;
    throw new HostError(`cannot write ${path}: ${why}`, 'Give a directory stowage can write to (node_exporter\'s --collector.textfile.directory).', { cause: err });
  }
  return path;
}
