/**
 * Plain requests to the Engine API over node:http: JSON requests for the reads (version, lists, inspects, disk
 * usage) and the removals, and uploads of a streamed body (an import, a load, an archive put into a
 * container). Loading dockerode and what it pulls in (grpc, protobufjs, ssh2, tar-fs) costs a second of CPU on
 * a loaded host, more than a whole prune plan; commands that only read, remove and upload never load it
 * (bench/prune.ts measures this). Errors carry the engine's status code and message the way dockerode's do, so
 * `toEngineError` maps both the same.
 */
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

/** Opens one request to `target`; `answer` gets the response. */
function open(target: HttpTarget, method: string, path: string, query: Query | undefined, headers: Record<string, string>,
  answer: (res: IncomingMessage) => void, signal?: AbortSignal): ClientRequest {
  const https = target.protocol === 'https';
  return (https ? httpsRequest : httpRequest)({
    method,
    path: `${path}${queryString(query)}`,
    headers: { ...headers, ...(target.socketPath ? { Host: 'docker' } : {}) },
    ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
    ...(https ? { ca: target.ca, cert: target.cert, key: target.key } : {}),
    agent: target.agent ?? false,
    ...(signal ? { signal } : {}),
  }, answer);
}

/** Reads a response whole; resolves with its text when the status is 2xx, else rejects with EngineHttpStatus. */
function readAnswer(res: IncomingMessage, resolve: (raw: string) => void, reject: (err: unknown) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', reject);
  res.on('end', () => answerOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), resolve, reject));
}

/** A whole answer: its text when the status is 2xx, else EngineHttpStatus with the engine's message. */
export function answerOf(status: number, raw: string, resolve: (raw: string) => void, reject: (err: unknown) => void): void {
  if (status >= 200 && status < 300) return resolve(raw);
  let body: unknown;
  try {
    body = raw.trim() ? JSON.parse(raw) : undefined;
  } catch {
    body = undefined;
  }
  reject(new EngineHttpStatus(status, body && typeof body === 'object' ? body as { message?: string } : { message: raw.trim() }));
}

/**
 * One request; resolves with the parsed JSON body (undefined when empty), or with `text` the body as it came
 * (a stream of JSON lines); rejects with EngineHttpStatus or the socket's error.
 */
export function engineRequest<T>(target: HttpTarget, method: string, path: string, query?: Query, text = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = open(target, method, path, query, {}, (res) => readAnswer(res, (raw) => {
      if (text) return resolve(raw as T);
      try {
        resolve((raw.trim() ? JSON.parse(raw) : undefined) as T);
      } catch {
        resolve(undefined as T);
      }
    }, reject));
    req.on('error', reject);
    req.end();
  });
}

/**
 * One request whose body is `body`, streamed as it comes (a tar: an import, a load, an archive put into a
 * container); resolves with the answer's text (JSON lines for an import or a load). The body's own failure wins
 * over the broken request it causes; an answer with an error status rejects with EngineHttpStatus, also when
 * the engine stopped reading the body to give it. Aborting `signal` stops the request and the body's reading.
 */
export function engineUpload(target: HttpTarget, method: string, path: string, query: Query | undefined, body: AsyncIterable<Buffer>, signal?: AbortSignal,
  onSent?: () => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let bodyError: unknown;
    let answering = false;
    const req = open(target, method, path, query, { 'Content-Type': 'application/x-tar' }, (res) => {
      answering = true;
      readAnswer(res, (raw) => (bodyError === undefined ? resolve(raw) : reject(bodyError)), reject);
    }, signal);
    // the request line and headers go now, not with the body's first bytes: the engine starts its handler
    // while the body is still being prepared (flatten's first bytes wait for getfattr)
    req.flushHeaders();
    // an engine that answered an error and closed breaks the request too: its answer says why
    const broken = (err: unknown) => {
      if (bodyError !== undefined || !answering) reject(bodyError ?? err);
    };
    req.on('error', broken);
    // the whole body handed to the operating system (not yet read by the engine)
    if (onSent) req.once('finish', onSent);
    const source = Readable.from(body, { objectMode: false });
    source.on('error', (err) => { bodyError ??= err; });
    pipeline(source, req).catch(broken);
  });
}
