/**
 * Where a regular file's bytes can be read again after indexing, without keeping them in memory: a byte
 * range of a file on disk (an overlay2 diff file, or a file inside an uncompressed archive or blob). Writers
 * (flatten) use it to copy the final files; entries from compressed or streamed sources have none, and
 * their layers must be streamed again.
 */
import { createReadStream } from 'node:fs';
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
  return createReadStream(ref.file, { start: ref.start, end: ref.start + ref.length - 1, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
}
