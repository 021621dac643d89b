/**
 * Plain JSON requests to the Engine API over node:http, for the calls that need no streaming: the reads
 * (version, lists, inspects, disk usage) and the removals. Loading dockerode and what it pulls in (grpc,
 * protobufjs, ssh2, tar-fs) costs a second of CPU on a loaded host, more than a whole prune plan; commands that
 * only read and remove never load it (bench/prune.ts measures this). Errors carry the engine's status code and
 * message the way dockerode's do, so `toEngineError` maps both the same.
 */
import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Where the engine listens, as dockerode's options name it (a unix socket, or host and port, TLS files, an agent). */
export interface HttpTarget {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: string;
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  agent?: Agent;
}

/** What a non-2xx answer throws: the status code and the engine's `{ message }`, as dockerode's errors carry them. */
export class EngineHttpStatus extends Error {
  constructor(readonly statusCode: number, readonly json: { message?: string } | null) {
    super(`(HTTP code ${statusCode}) ${json?.message ?? ''}`.trim());
  }
}

export type Query = Record<string, string | number | boolean | object | undefined>;

/** `?a=1&filters={...}`: objects are sent as JSON, as the API's filters and build-prune options are. */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * One request; resolves with the parsed JSON body (undefined when empty), or with `text` the body as it came
 * (a stream of JSON lines); rejects with EngineHttpStatus or the socket's error.
 */
export function engineRequest<T>(target: HttpTarget, method: string, path: string, query?: Query, text = false): Promise<T> {
  const https = target.protocol === 'https';
  return new Promise<T>((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)({
      method,
      path: `${path}${queryString(query)}`,
      ...(target.socketPath ? { headers: { Host: 'docker' } } : {}),
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      ...(https ? { ca: target.ca, cert: target.cert, key: target.key } : {}),
      agent: target.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = raw.trim() ? JSON.parse(raw) : undefined;
        } catch {
          body = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve((text ? raw : body) as T);
        else reject(new EngineHttpStatus(status, body && typeof body === 'object' ? body as { message?: string } : { message: raw.trim() }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}
