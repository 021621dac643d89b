/**
 * The squashed layer's bytes on their way to an output: the tar of the squash's entries, each file's content
 * checksummed as it goes out (the digests verification expects), and, when asked, a second reader on the very
 * bytes sent (teeStream) that indexes them for verification while they go.
 */
import { contentHasher, type ContentHashKind } from '../image/content-hash.js';
import { readContentInto, SMALL_FILE } from '../image/content-ref.js';
import { indexLayer, type LayerIndex } from '../image/layer-index.js';
import type { LayerEntry } from '../image/layer-entry.js';
import { layerTarStream } from '../image/layer-tar-stream.js';
import { teeStream } from './tee-stream.js';

export type StreamFault = (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer>;

export interface SquashedStreamOptions {
  /** The entry whose content a written file carries (the squash's source), when not the entry itself. */
  source?: (entry: LayerEntry) => LayerEntry;
  read: (source: LayerEntry) => AsyncIterable<Buffer>;
  /**
   * What `written` records of the files' content: nothing; the sha256 of files whose source has no digest
   * (for a read-back of the output); or, with `check`, the crc32 of every file, the checksum the side reader
   * takes of the same files in the bytes sent (both readings are stowage's own, see content-hash.ts).
   */
  hash: 'none' | 'sha256' | 'crc32';
  /** Index the bytes as they go (files checksummed with crc32), then run `check` on that index; `sent` carries the outcome. */
  check?: ((sent: LayerIndex) => Promise<void> | void) | undefined;
  /** Called with the bytes of the tar sent so far, for progress. */
  onBytes?: ((sent: number) => void) | undefined;
  /** Aborted: the stream ends with the signal's reason at its next chunk, and its reader cleans up. */
  signal?: AbortSignal | undefined;
  /** Tests only: alter the bytes before the side reader sees them (`written`) or after (`sent`). */
  faults?: { written?: StreamFault | undefined; sent?: StreamFault | undefined } | undefined;
}

export interface SquashedStream {
  stream: AsyncIterable<Buffer>;
  /** The checksum of the content of each file written (see `hash`), by path. */
  written: Map<string, string>;
  /** The layer as the side reader indexed and checked it, once the last byte has gone (with `check`). */
  sent?: Promise<LayerIndex> | undefined;
}

/** The checksum the side reader takes of each file sent. */
export const SENT_CONTENT_HASH: ContentHashKind = 'crc32';

export function squashedStream(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, options: SquashedStreamOptions): SquashedStream {
  const written = new Map<string, string>();
  const sourceOf = (e: LayerEntry) => options.source?.(e) ?? e;
  const hash = options.hash;
  let tar: AsyncIterable<Buffer> = layerTarStream(entries, {
    open: (e) => options.read(sourceOf(e)),
    // Where the source has a content ref, every `read` streams that same range (it is what they try first),
    // so reading it at once instead gives the same bytes.
    readInto: (e, target, offset) => readContentInto(sourceOf(e), target, offset),
    smallFile: SMALL_FILE,
    observe: (e) => {
      if (hash === 'none' || (hash === 'sha256' && sourceOf(e).digest)) return undefined;
      const h = contentHasher(hash);
      return { update: (chunk) => h.update(chunk), end: () => { written.set(e.path, h.digest()); } };
    },
  });
  if (options.faults?.written) tar = options.faults.written(tar);
  if (options.onBytes) tar = counted(tar, options.onBytes);
  if (options.signal) tar = abortable(tar, options.signal);
  const check = options.check;
  if (!check) return { stream: tar, written };
  const tee = teeStream(tar, async (branch) => {
    const layer = await indexLayer(branch, 'the squashed layer as sent', { contentHash: SENT_CONTENT_HASH });
    await check(layer);
    return layer;
  });
  tee.result.catch(() => undefined); // reported by whoever awaits `sent`; a failed upload must not leave it unhandled
  return { stream: options.faults?.sent ? options.faults.sent(tee.stream) : tee.stream, written, sent: tee.result };
}

/** The same chunks, reporting the running total every MiB and at the end (a sink may print each report). */
async function* counted(chunks: AsyncIterable<Buffer>, onBytes: (sent: number) => void): AsyncGenerator<Buffer> {
  let sent = 0;
  let reported = 0;
  for await (const c of chunks) {
    yield c;
    sent += c.length;
    if (sent - reported >= 1 << 20) onBytes((reported = sent));
  }
  onBytes(sent);
}

/** The same chunks until `signal` is aborted, then its reason. */
async function* abortable(chunks: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const c of chunks) {
    signal.throwIfAborted();
    yield c;
  }
}
