/**
 * The engine's own figure for each layer, as an independent check of how stowage read one. When a layer is
 * registered, Docker sizes it in one of two ways, and `docker history` reports that figure for each layer:
 * overlay2 on a layer applied over its parent's directories (docker load, import, the classic builder) sizes
 * the directory it unpacked (moby's pkg/directory.Size): every non-directory counts its size (a symlink the
 * length of its target), an inode with several names counts once; a layer that overlay2 applies through its
 * naive differ (what BuildKit's commits on Docker 20.10 take) gets the sum of the tar's header sizes, that
 * is regular files only (a hardlink's header has size 0). The same sums over the entries stowage read must
 * give one of those numbers; a layer misread (a file lost, truncated or read as something else) does not.
 */
import type { EngineClient } from '../engine/engine-client.js';
import type { HistoryEntry } from '../image/image-index.js';
import type { LayerEntry } from '../image/layer-entry.js';

/** A layer's size as Docker computes it for the directory the entries unpack to. */
export function engineSizeOf(entries: Iterable<LayerEntry>): number {
  const { files, symlinks } = layerSizes(entries);
  return files + symlinks;
}

/**
 * The sizes Docker may have recorded for a layer of `entries`: the directory's size (files and symlink
 * targets) and the tar's size of regular files alone (overlay2's naive differ). Both, bytes first.
 */
export function engineSizesOf(entries: Iterable<LayerEntry>): number[] {
  const { files, symlinks } = layerSizes(entries);
  return symlinks ? [files + symlinks, files] : [files];
}

function layerSizes(entries: Iterable<LayerEntry>): { files: number; symlinks: number } {
  let files = 0;
  let symlinks = 0;
  for (const e of entries) {
    if (e.type === 'file') files += e.size;
    else if (e.type === 'symlink') symlinks += Buffer.byteLength(e.linkTarget ?? '', 'latin1');
  }
  return { files, symlinks };
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
