/**
 * An upload to a local engine written by a worker thread. The body is made on the main thread, which also
 * does other work meanwhile (flatten indexes, plans and verifies while its squashed layer goes out); written
 * from there, the engine could read only what the kernel held, a socket buffer of about 200 kB, about 2 ms of
 * its unpacking, and every longer turn of the main thread left it waiting (traced: 600-900 ms of such turns
 * in a 5 s flatten, the plan alone 150-200 ms). The worker owns the connection and writes from its own queue,
 * up to `AHEAD` bytes that the main thread made ahead of the engine, so the engine reads while the main thread
 * works. Same contract as engineUpload (engine-http.ts).
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { answerOf, queryString, type HttpTarget, type Query } from './engine-http.js';

/** Bytes the body may run ahead of what the worker has handed to the kernel: at ~100 MB/s, ~300 ms of the engine's reading. */
export const AHEAD = 32 * 1024 * 1024;

/**
 * The body goes to the worker in slots of this size, filled with copies of its chunks and handed back once
 * written, so the same few dozen buffers carry the whole body (fresh ones cost a page fault per 4 kB).
 */
const SLOT = 1024 * 1024;

type ToWorker = { type: 'slot'; data: ArrayBuffer; length: number } | { type: 'end' } | { type: 'abort' };
type FromWorker =
  | { type: 'written'; data: ArrayBuffer }
  | { type: 'sent' }
  | { type: 'answer'; status: number; text: string }
  | { type: 'broken'; message: string; code: string | undefined };

interface WorkerData {
  request: RequestOptions;
}

/**
 * The worker's whole program. It runs in another thread from its source text, so it uses nothing but its
 * arguments (the modules are handed in by the few lines that start it).
 */
function uploadWorker(port: MessagePort, data: WorkerData, request: (o: RequestOptions, answer: (res: IncomingMessage) => void) => ClientRequest): void {
  const post = (m: FromWorker) => port.postMessage(m);
  let answering = false;
  const req = request(data.request, (res) => {
    answering = true;
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', (e: NodeJS.ErrnoException) => post({ type: 'broken', message: e.message, code: e.code }));
    res.on('end', () => post({ type: 'answer', status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
  });
  // the request line and headers go now: the engine starts its handler while the body is still being made
  req.flushHeaders();
  // an engine that answered an error and closed breaks the request too: its answer says why
  req.on('error', (e: NodeJS.ErrnoException) => { if (!answering) post({ type: 'broken', message: e.message, code: e.code }); });
  req.on('finish', () => post({ type: 'sent' }));
  port.on('message', (m: ToWorker) => {
    if (m.type === 'slot') {
      req.write(Buffer.from(m.data, 0, m.length), () => port.postMessage({ type: 'written', data: m.data } satisfies FromWorker, [m.data]));
    } else if (m.type === 'end') {
      req.end();
    } else {
      req.destroy(new Error('the upload was stopped'));
    }
  });
}

const WORKER_SOURCE = `const { parentPort, workerData } = require('node:worker_threads');
(${uploadWorker.toString()})(parentPort, workerData, require('node:http').request);`;

/**
 * engineUpload's contract, for a target on a unix socket: resolves with the answer's text; the body's own
 * failure wins over the broken request it causes; an error status rejects with EngineHttpStatus; aborting
 * `signal` stops the request and the body's reading. `onSent`: the whole body is handed to the operating system.
 */
export function threadUpload(target: HttpTarget, method: string, path: string, query: Query | undefined, body: AsyncIterable<Buffer>, signal?: AbortSignal,
  onSent?: () => void): Promise<string> {
  if (!target.socketPath) throw new Error('internal: threadUpload needs a unix socket');
  const data: WorkerData = {
    request: { method, path: `${path}${queryString(query)}`, socketPath: target.socketPath, agent: false, headers: { 'Content-Type': 'application/x-tar', Host: 'docker' } },
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
  return new Promise<string>((resolve, reject) => {
    let bodyError: unknown;
    let settled = false;
    let ahead = 0;
    let wake: (() => void) | undefined;
    const free: ArrayBuffer[] = [];
    let slot: Uint8Array | undefined;
    let used = 0;
    let flushQueued = false;
    const flush = () => {
      if (!slot || used === 0 || settled) return;
      worker.postMessage({ type: 'slot', data: slot.buffer as ArrayBuffer, length: used } satisfies ToWorker, [slot.buffer as ArrayBuffer]);
      ahead += SLOT;
      slot = undefined;
      used = 0;
    };
    /** Copies `chunk` into slots; a full slot goes at once, a partial one when the main thread next turns to other work. */
    const put = (chunk: Buffer) => {
      for (let at = 0; at < chunk.length;) {
        slot ??= new Uint8Array(free.pop() ?? new ArrayBuffer(SLOT));
        const n = Math.min(chunk.length - at, SLOT - used);
        slot.set(chunk.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === SLOT) flush();
      }
      if (used && !flushQueued) {
        flushQueued = true;
        setImmediate(() => {
          flushQueued = false;
          flush();
        });
      }
    };
    const resume = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      resume();
      void worker.terminate();
      outcome();
    };
    const stop = () => worker.postMessage({ type: 'abort' } satisfies ToWorker);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'written') {
        ahead -= SLOT;
        free.push(m.data);
        if (ahead <= AHEAD / 2) resume();
      } else if (m.type === 'sent') {
        onSent?.();
      } else if (m.type === 'answer') {
        settle(() => (bodyError !== undefined ? reject(bodyError) : answerOf(m.status, m.text, resolve, reject)));
      } else {
        settle(() => reject(bodyError ?? Object.assign(new Error(m.message), { code: m.code })));
      }
    });
    worker.on('error', (err) => settle(() => reject(bodyError ?? err)));
    worker.on('exit', () => settle(() => reject(bodyError ?? new Error('the upload thread stopped before the engine answered'))));
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    void (async () => {
      try {
        for await (const chunk of body) {
          if (settled) return;
          // copies the worker owns: the chunk itself may still be read here (the verifier's side reader)
          put(chunk);
          if (ahead > AHEAD) await new Promise<void>((r) => { wake = r; });
        }
        flush();
        if (!settled) worker.postMessage({ type: 'end' } satisfies ToWorker);
      } catch (err) {
        bodyError ??= err;
        if (!settled) stop();
      }
    })();
  });
}
