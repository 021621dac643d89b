/**
 * The squashed layer's bytes on their way to an output: the tar of the squash's entries, each file's content
 * hashed as it goes out (the digests verification expects), and, when asked, a second reader on the very
 * bytes sent (teeStream) that indexes them for verification while they go.
 */
import { indexLayer, measured, type LayerIndex } from '../image/layer-index.js';
import type { LayerEntry } from '../image/layer-entry.js';
import { layerTarStream } from '../image/layer-tar-stream.js';
import { teeStream } from './tee-stream.js';

export type StreamFault = (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer>;

export interface SquashedStreamOptions {
  /** The entry whose content a written file carries (the squash's source), when not the entry itself. */
  source?: (entry: LayerEntry) => LayerEntry;
  read: (source: LayerEntry) => AsyncIterable<Buffer>;
  /** Hash the content of files whose source has no digest. */
  hash: boolean;
  /** Index the bytes as they go, then run `check` on that index; `sent` carries the outcome. */
  check?: ((sent: LayerIndex) => Promise<void> | void) | undefined;
  /** Tests only: alter the bytes before the side reader sees them (`written`) or after (`sent`). */
  faults?: { written?: StreamFault | undefined; sent?: StreamFault | undefined } | undefined;
}

export interface SquashedStream {
  stream: AsyncIterable<Buffer>;
  /** sha256 of the content of each file written, by path, for files whose source had no digest. */
  written: Map<string, string>;
  /** The layer as the side reader indexed and checked it, once the last byte has gone (with `check`). */
  sent?: Promise<LayerIndex> | undefined;
}

export function squashedStream(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, options: SquashedStreamOptions): SquashedStream {
  const written = new Map<string, string>();
  let tar: AsyncIterable<Buffer> = layerTarStream(entries, (e) => {
    const src = options.source?.(e) ?? e;
    const body = options.read(src);
    return options.hash && !src.digest ? measured(body, (_b, digest) => written.set(e.path, digest)) : body;
  });
  if (options.faults?.written) tar = options.faults.written(tar);
  const check = options.check;
  if (!check) return { stream: tar, written };
  const tee = teeStream(tar, async (branch) => {
    const layer = await indexLayer(branch, 'the squashed layer as sent');
    await check(layer);
    return layer;
  });
  tee.result.catch(() => undefined); // reported by whoever awaits `sent`; a failed upload must not leave it unhandled
  return { stream: options.faults?.sent ? options.faults.sent(tee.stream) : tee.stream, written, sent: tee.result };
}
