/**
 * The merged filesystem of an image's overlay2 diff directories, walked as overlayfs merges them: in each
 * directory, the topmost layer's version of a name wins; a whiteout hides the name, a non-directory hides
 * every lower version, and an opaque directory hides the layers below it. Entries come in the order
 * squashImage gives a whole-image squash (parents first, names in byte order, each directory with its topmost
 * metadata, the later paths of an inode as hardlinks to its first), so the squashed layer of an engine image
 * can be streamed before any layer has been indexed. Only the directories on the way are read.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import type { TreeXattrs } from '../host/xattrs.js';
import type { LayerEntry } from './layer-entry.js';
import { addOwnXattrs, isOpaque, isWhiteout, toEntry } from './overlay2-source.js';

interface Version {
  /** Index into the directories (0 is the bottom layer). */
  layer: number;
  stats: Stats;
  /** The path lstat was given. */
  file: Buffer;
}

/** `dirs` bottom to top, `xattrs` read for each of them (readTreesXattrs). */
export function* mergedOverlayEntries(dirs: string[], xattrs: TreeXattrs[]): Generator<LayerEntry> {
  const firstPathOfInode = new Map<string, string>();
  const top = dirs.map((_, i) => dirs.length - 1 - i);
  yield* mergeDir(dirs, xattrs, '', top, firstPathOfInode);
}

/** `layers`: where the directory `rel` shows through, top first. */
function* mergeDir(dirs: string[], xattrs: TreeXattrs[], rel: string, layers: number[], firstPathOfInode: Map<string, string>): Generator<LayerEntry> {
  const versions = new Map<string, number[]>();
  for (const layer of layers) {
    const abs = rel ? `${dirs[layer]}/${rel}` : dirs[layer]!;
    const names = readdirSync(Buffer.from(abs, 'latin1'), { encoding: 'buffer' });
    for (const n of names) {
      const name = n.toString('latin1');
      const list = versions.get(name);
      if (list) list.push(layer);
      else versions.set(name, [layer]);
    }
  }
  for (const name of [...versions.keys()].sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const stat = (layer: number): Version => {
      const file = Buffer.from(`${dirs[layer]}/${path}`, 'latin1');
      return { layer, stats: lstatSync(file), file };
    };
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
      const entry = toEntry(dirs[upper.layer]!, path, upper.stats, hardlinkTo, upper.file);
      if (entry.type !== 'hardlink') addOwnXattrs(entry, attrs);
      yield entry;
      continue;
    }
    const entry = toEntry(dirs[upper.layer]!, path, upper.stats, undefined, upper.file);
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
    yield* mergeDir(dirs, xattrs, path, below, firstPathOfInode);
  }
}
