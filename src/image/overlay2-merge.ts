/**
 * The merged filesystem of an image's overlay2 diff directories, walked as overlayfs merges them: in each
 * directory, the topmost layer's version of a name wins; a whiteout hides the name, a non-directory hides
 * every lower version, and an opaque directory hides the layers below it. Entries come in the order
 * squashImage gives a whole-image squash (parents first, names in byte order, each directory with its topmost
 * metadata, the later paths of an inode as hardlinks to its first), so the squashed layer of an engine image
 * can be streamed before any layer has been indexed. Only the directories on the way are read; `reads` can be
 * shared with the index's walk of the same directories (layer-dir-reads.ts), which then makes each call once.
 */
import type { Stats } from 'node:fs';
import type { TreeXattrs } from '../host/xattrs.js';
import { directReads, type LayerDirReads } from './layer-dir-reads.js';
import type { LayerEntry } from './layer-entry.js';
import { addOwnXattrs, isOpaque, isWhiteout, toEntry } from './overlay2-source.js';

interface Version {
  /** Index into the directories (0 is the bottom layer). */
  layer: number;
  stats: Stats;
}

/** `dirs` bottom to top, `xattrs` read for each of them (readTreesXattrs). */
export function* mergedOverlayEntries(dirs: string[], xattrs: TreeXattrs[], reads: LayerDirReads = directReads): Generator<LayerEntry> {
  const firstPathOfInode = new Map<string, string>();
  const top = dirs.map((_, i) => dirs.length - 1 - i);
  yield* mergeDir({ dirs, xattrs, reads, firstPathOfInode }, '', top);
}

interface Walk {
  dirs: string[];
  xattrs: TreeXattrs[];
  reads: LayerDirReads;
  firstPathOfInode: Map<string, string>;
}

/** `layers`: where the directory `rel` shows through, top first. */
function* mergeDir(walk: Walk, rel: string, layers: number[]): Generator<LayerEntry> {
  const { dirs, xattrs, reads, firstPathOfInode } = walk;
  const versions = new Map<string, number[]>();
  for (const layer of layers) {
    for (const name of reads.names(dirs[layer]!, rel)) {
      const list = versions.get(name);
      if (list) list.push(layer);
      else versions.set(name, [layer]);
    }
  }
  for (const name of [...versions.keys()].sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const stat = (layer: number): Version => ({ layer, stats: reads.lstat(dirs[layer]!, path) });
    const upper = stat(versions.get(name)![0]!);
    if (isWhiteout(upper.stats)) continue;
    const attrs = xattrs[upper.layer]!.get(path);
    if (!upper.stats.isDirectory()) {
      let hardlinkTo: string | undefined;
      if (upper.stats.isFile() && upper.stats.nlink > 1) {
        const key = `${upper.stats.dev}:${upper.stats.ino}`;
        hardlinkTo = firstPathOfInode.get(key);
        if (hardlinkTo === undefined) firstPathOfInode.set(key, path);
      }
      const entry = toEntry(dirs[upper.layer]!, path, upper.stats, hardlinkTo, reads);
      if (entry.type !== 'hardlink') addOwnXattrs(entry, attrs);
      yield entry;
      continue;
    }
    const entry = toEntry(dirs[upper.layer]!, path, upper.stats, undefined, reads);
    addOwnXattrs(entry, attrs);
    yield entry;
    // The directory shows through every lower layer that has a directory here, down to the first opaque one
    // or the first non-directory (a file or a whiteout) in the way.
    const below: number[] = [upper.layer];
    if (!isOpaque(attrs)) {
      for (const layer of versions.get(name)!.slice(1)) {
        const v = stat(layer);
        if (!v.stats.isDirectory()) break;
        below.push(layer);
        if (isOpaque(xattrs[layer]!.get(path))) break;
      }
    }
    yield* mergeDir(walk, path, below);
  }
}
