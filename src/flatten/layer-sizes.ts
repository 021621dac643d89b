/**
 * The engine's own figure for each layer, as an independent check of how stowage read one. When a layer is
 * registered, Docker sizes it from the directory it unpacked (moby's pkg/directory.Size over overlay2's diff
 * directory): every non-directory counts its size (a symlink the length of its target), an inode with
 * several names counts once, and `docker history` reports that figure for each layer. The same sum over the
 * entries stowage read must give the same number; a layer misread (a file lost, truncated or read as
 * something else) does not.
 */
import type { EngineClient } from '../engine/engine-client.js';
import type { HistoryEntry } from '../image/image-index.js';
import type { LayerEntry } from '../image/layer-entry.js';

/** A layer's size as Docker computes it for the directory the entries unpack to. */
export function engineSizeOf(entries: Iterable<LayerEntry>): number {
  let size = 0;
  for (const e of entries) {
    if (e.type === 'file') size += e.size;
    else if (e.type === 'symlink') size += Buffer.byteLength(e.linkTarget ?? '', 'latin1');
  }
  return size;
}

/**
 * The size the engine recorded for each layer of image `id` (bottom first), from `docker history` mapped onto
 * the layers by the config's history; undefined when that history does not map one entry to each layer.
 */
export async function recordedLayerSizes(engine: EngineClient, id: string, history: HistoryEntry[], layerCount: number): Promise<number[] | undefined> {
  const rows = (await engine.imageHistory(id)).slice().reverse();
  if (rows.length !== history.length || history.filter((h) => !h.emptyLayer).length !== layerCount) return undefined;
  return rows.filter((_, i) => !history[i]!.emptyLayer).map((r) => r.size);
}
