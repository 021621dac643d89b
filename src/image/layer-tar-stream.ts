/**
 * A layer tar written from layer entries and their content, as a stream. Its size is known before a byte
 * is written (headers depend only on the entries), so it can be a member of an outer archive without being
 * buffered. The bytes depend only on the entries and their content: the same input gives the same digest.
 */
import { StowageError, ExitCode } from '../errors.js';
import { displayPath, type LayerEntry } from './layer-entry.js';
import { TAR_END, headerForEntry, pad, tarHeader } from './tar-writer.js';

/** Where the content of regular file entries comes from. */
export interface TarContent {
  /** Content of a regular file entry, exactly `entry.size` bytes. */
  open(entry: LayerEntry): AsyncIterable<Buffer>;
  /**
   * Reads a small file's whole content into `target` at `offset` at once and returns the bytes read, or
   * undefined when it cannot (then `open` is used). Saves a buffer and a copy per file.
   */
  readInto?(entry: LayerEntry, target: Buffer, offset: number): number | undefined;
  /** Files up to this size are offered to `readInto`. */
  smallFile?: number;
  /** Sees each file's content as it goes into the tar: every chunk in order, then the end. */
  observe?(entry: LayerEntry): { update(chunk: Buffer): void; end(): void } | undefined;
}

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

function changed(e: LayerEntry, read: number): StowageError {
  return new StowageError(`the content of ${displayPath(e.path)} is ${read} bytes, its layer said ${e.size}: the source changed while it was read`, ExitCode.badInput);
}

/**
 * The tar of `entries`. Headers and small files are written into one batch buffer, so consumers see few,
 * large chunks; a large file's big chunks go out as they are.
 */
export async function* layerTarStream(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, content: TarContent): AsyncGenerator<Buffer> {
  let batch = Buffer.allocUnsafe(BATCH);
  let used = 0;
  /** The batch so far; the next one has room for at least `room` bytes. */
  const take = (room = 0): Buffer => {
    const out = batch.subarray(0, used);
    batch = Buffer.allocUnsafe(Math.max(BATCH, room));
    used = 0;
    return out;
  };
  const small = content.readInto ? content.smallFile ?? 0 : 0;
  for await (const e of entries) {
    const header = tarHeader(headerForEntry(e));
    const size = e.type === 'file' ? e.size : 0;
    const inline = size > 0 && size <= small;
    const room = header.length + (inline ? size + pad(size) : 0);
    if (used + room > batch.length) {
      if (used) yield take(room);
      else batch = Buffer.allocUnsafe(room);
    }
    header.copy(batch, used);
    used += header.length;
    if (size === 0) continue;
    const seen = content.observe?.(e);
    const read = inline ? content.readInto!(e, batch, used) : undefined;
    if (read !== undefined) {
      if (read !== size) throw changed(e, read);
      seen?.update(batch.subarray(used, used + size));
      used += size;
    } else {
      let written = 0;
      for await (const chunk of content.open(e)) {
        written += chunk.length;
        if (written > size) break;
        seen?.update(chunk);
        if (chunk.length >= BATCH) {
          if (used) yield take();
          yield chunk;
        } else {
          if (used + chunk.length > batch.length) yield take();
          chunk.copy(batch, used);
          used += chunk.length;
        }
      }
      if (written !== size) throw changed(e, written);
    }
    seen?.end();
    const p = pad(size);
    if (used + p > batch.length) yield take();
    batch.fill(0, used, used + p);
    used += p;
    if (used >= BATCH) yield take();
  }
  if (used + TAR_END.length > batch.length) yield take();
  TAR_END.copy(batch, used);
  used += TAR_END.length;
  yield take();
}
