/**
 * Where a regular file's bytes can be read again after indexing, without keeping them in memory: a byte
 * range of a file on disk (an overlay2 diff file, or a file inside an uncompressed archive or blob). Writers
 * (flatten) use it to copy the final files; entries from compressed or streamed sources have none, and
 * their layers must be streamed again.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { contentHasher } from './content-hash.js';
import type { LayerEntry } from './layer-entry.js';

export interface ContentRef {
  /** File on disk (Buffer for byte-exact names). */
  file: string | Buffer;
  start: number;
  length: number;
}

const refs = new WeakMap<LayerEntry, ContentRef>();

export function setContentRef(entry: LayerEntry, ref: ContentRef): void {
  refs.set(entry, ref);
}

export function contentRef(entry: LayerEntry): ContentRef | undefined {
  return refs.get(entry);
}

/** The entry's content as a stream, or undefined when the source kept no way back to it. */
export function openContent(entry: LayerEntry): AsyncIterable<Buffer> | undefined {
  const ref = refs.get(entry);
  if (!ref) return undefined;
  if (ref.length === 0) return (async function* () { /* empty file */ })();
  if (ref.length <= SMALL_FILE) return readSmall(ref);
  return createReadStream(ref.file, { start: ref.start, end: ref.start + ref.length - 1, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
}

/** sha256 of the entry's content, or undefined when the source kept no way back to it. */
export async function contentDigest(entry: LayerEntry): Promise<string | undefined> {
  const body = openContent(entry);
  if (!body) return undefined;
  const hash = contentHasher('sha256');
  for await (const c of body) hash.update(c);
  return hash.digest();
}

/** Files up to this size are read with one synchronous read: on cached pages that takes microseconds, where
 * a stream's open, read, read and close each wait a thread-pool round trip. */
export const SMALL_FILE = 1024 * 1024;

/**
 * Reads a small file's whole content (up to SMALL_FILE bytes) into `target` at `offset` with one synchronous
 * read; returns the bytes read (fewer when the file shrank), or undefined when the entry has no content ref
 * or its content would not fit (then the caller streams it and checks its size).
 */
export function readContentInto(entry: LayerEntry, target: Buffer, offset: number): number | undefined {
  const ref = refs.get(entry);
  if (!ref || ref.length > SMALL_FILE || ref.length > target.length - offset) return undefined;
  return readRange(ref, target, offset);
}

function readRange(ref: ContentRef, target: Buffer, offset: number): number {
  if (ref.length === 0) return 0;
  const fd = openSync(ref.file, 'r');
  try {
    let done = 0;
    while (done < ref.length) {
      const n = readSync(fd, target, offset + done, ref.length - done, ref.start + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  } finally {
    closeSync(fd);
  }
}

async function* readSmall(ref: ContentRef): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(ref.length);
  const done = readRange(ref, buf, 0);
  yield done === ref.length ? buf : buf.subarray(0, done);
}
