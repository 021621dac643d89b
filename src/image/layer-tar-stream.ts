/**
 * A layer tar written from layer entries and a content lookup, as a stream. Its size is known before a byte
 * is written (headers depend only on the entries), so it can be a member of an outer archive without being
 * buffered. The bytes depend only on the entries and their content: the same input gives the same digest.
 */
import { StowageError, ExitCode } from '../errors.js';
import { displayPath, type LayerEntry } from './layer-entry.js';
import { TAR_END, headerForEntry, pad, tarHeader } from './tar-writer.js';

/** Content of a regular file entry, exactly `entry.size` bytes. */
export type ContentLookup = (entry: LayerEntry) => AsyncIterable<Buffer>;

/** Bytes the tar of `entries` will have. */
export function layerTarSize(entries: LayerEntry[]): number {
  let total = TAR_END.length;
  for (const e of entries) {
    total += tarHeader(headerForEntry(e)).length;
    if (e.type === 'file') total += e.size + pad(e.size);
  }
  return total;
}

const BATCH = 256 * 1024;

/** The tar of `entries`; small pieces are batched so consumers see few, large chunks. */
export async function* layerTarStream(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, content: ContentLookup): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let buffered = 0;
  const add = (b: Buffer) => {
    parts.push(b);
    buffered += b.length;
  };
  const take = () => {
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, buffered);
    parts = [];
    buffered = 0;
    return out;
  };
  for await (const e of entries) {
    add(tarHeader(headerForEntry(e)));
    if (e.type === 'file' && e.size > 0) {
      let written = 0;
      for await (const chunk of content(e)) {
        written += chunk.length;
        if (written > e.size) break;
        if (chunk.length >= BATCH) {
          if (buffered) yield take();
          yield chunk;
        } else {
          add(chunk);
          if (buffered >= BATCH) yield take();
        }
      }
      if (written !== e.size) {
        throw new StowageError(`the content of ${displayPath(e.path)} is ${written} bytes, its layer said ${e.size}: the source changed while it was read`, ExitCode.badInput);
      }
      const p = pad(e.size);
      if (p) add(Buffer.alloc(p));
    }
    if (buffered >= BATCH) yield take();
  }
  add(TAR_END);
  yield take();
}
