/**
 * The squash: the one layer that, applied over the kept layers, gives exactly the union of the whole image.
 * It is computed from two union trees (kept layers only, and every layer) with overlay2's rules:
 * - a path whose current version came from a squashed layer is written once, in its final form (so the
 *   copies a `chown -R` made and every overwritten version collapse into the final file);
 * - a path the kept layers have and the image no longer has gets a whiteout; a directory whose whole subtree
 *   is new gets an opaque marker instead;
 * - every directory above a written entry is written too, with its final metadata (overlay2 takes a merged
 *   directory's attributes from the upper layer, so leaving it out would reset them to 0755 root);
 * - hardlinks: the first path of an inode (in output order) carries the content, the others link to it, so a
 *   link never points outside the layer (Docker cannot load such a link);
 * - xattrs are copied from the final version byte for byte.
 */
import type { ImageIndex } from '../image/image-index.js';
import type { LayerEntry } from '../image/layer-entry.js';
import { UnionTree, compareBytes, type UnionNode } from '../image/union-tree.js';

export interface SquashedLayer {
  /** Entries in output order (parents first, names in byte order). Files carry their content digest. */
  entries: LayerEntry[];
  /** Regular files written with content (hardlinks excluded). */
  files: number;
  /** Content bytes of those files. */
  bytes: number;
  hardlinks: number;
  whiteouts: number;
  opaques: number;
  /** For each written file, the indexed entry that holds its content (to read it back from the source). */
  sources: Map<LayerEntry, LayerEntry>;
}

export interface Squash {
  /** Union of every layer of the input: what the output must reproduce. */
  full: UnionTree;
  /** Layers kept as they are, from the bottom. */
  keep: number;
  layer: SquashedLayer;
}

function unionOf(image: ImageIndex, count: number): UnionTree {
  const tree = new UnionTree({}, `image ${image.source.reference}`);
  for (let i = 0; i < count; i++) for (const e of image.layers[i]!.entries) tree.apply(i, e);
  return tree;
}

/**
 * Computes the squashed layer that replaces layers `keep`..top of `image`; `full` is the union of all its
 * layers when the caller has built it already (analyzeLayers' tree).
 */
export function squashImage(image: ImageIndex, keep: number, full: UnionTree = unionOf(image, image.layers.length)): Squash {
  const lower = keep > 0 ? unionOf(image, keep) : undefined;
  const changed = (n: UnionNode) => n.layer >= keep || (n.inode !== undefined && n.inode.layer >= keep);
  const out: SquashedLayer = { entries: [], files: 0, bytes: 0, hardlinks: 0, whiteouts: 0, opaques: 0, sources: new Map() };
  const firstPathOfInode = new Map<number, string>();
  /** Directories on the current walk path not yet written: written as soon as something beneath them is. */
  const pending: LayerEntry[] = [];

  const flushParents = () => {
    for (const d of pending) out.entries.push(d);
    pending.length = 0;
  };
  const emit = (e: LayerEntry) => {
    flushParents();
    out.entries.push(e);
  };

  const inherits = (node: UnionNode): boolean => {
    if (!changed(node)) return true;
    if (node.children) for (const c of node.children.values()) if (inherits(c)) return true;
    return false;
  };

  const emitNode = (path: string, node: UnionNode) => {
    if (node.inode) {
      const first = firstPathOfInode.get(node.inode.id);
      const src = node.inode.entry;
      if (first !== undefined) {
        out.hardlinks++;
        emit({ path, type: 'hardlink', mode: src.mode, uid: src.uid, gid: src.gid, size: 0, mtime: src.mtime, linkTarget: first });
        return;
      }
      firstPathOfInode.set(node.inode.id, path);
      if (src.type !== 'file') {
        // A hardlinked symlink, fifo or device: its first path is the node itself, without content.
        emit({ ...src, path });
        return;
      }
      out.files++;
      out.bytes += src.size;
      const e: LayerEntry = { path, type: 'file', mode: src.mode, uid: src.uid, gid: src.gid, size: src.size, mtime: src.mtime };
      if (src.digest) e.digest = src.digest;
      if (src.xattrs) e.xattrs = src.xattrs;
      out.sources.set(e, src);
      emit(e);
      return;
    }
    const e: LayerEntry = { ...node.entry, path };
    delete e.digest;
    emit(e);
  };

  /** `lowerDir` is the kept layers' directory at the same path, when they have one that still shows through. */
  const walk = (dir: UnionNode, path: string, lowerDir: UnionNode | undefined) => {
    const names = [...dir.children!.keys()];
    const missing = lowerDir ? [...lowerDir.children!.keys()].filter((n) => !dir.children!.has(n)) : [];
    for (const name of missing) names.push(name);
    names.sort(compareBytes);
    for (const name of names) {
      const p = path ? `${path}/${name}` : name;
      const node = dir.children!.get(name);
      if (!node) {
        out.whiteouts++;
        emit({ path: p, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
        continue;
      }
      const lowerNode = lowerDir?.children!.get(name);
      if (node.children) {
        let below = lowerNode?.children ? lowerNode : undefined;
        const dirEntry: LayerEntry = { ...node.entry, path: p };
        if (changed(node)) emit(dirEntry);
        else pending.push(dirEntry);
        if (below && [...below.children!.keys()].some((n) => !node.children!.has(n)) && ![...node.children.values()].some(inherits)) {
          // Everything under this directory is new: one opaque marker hides the kept layers' copy of it.
          out.opaques++;
          emit({ path: p, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
          below = undefined;
        }
        walk(node, p, below);
        if (pending.length && pending[pending.length - 1] === dirEntry) pending.pop();
      } else if (changed(node)) {
        emitNode(p, node);
      }
    }
  };

  walk(full.root, '', lower?.root);
  return { full, keep, layer: out };
}
