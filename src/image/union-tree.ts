/**
 * The union filesystem of an image, built by applying layer entries bottom to top with overlay semantics:
 * whiteouts and opaque directories hide only what lower layers put there, hardlinks share an inode, and a
 * file's bytes are released when its last link goes. Observers see every change, which is how analyze counts
 * waste and metadata-only copies and how a writer can learn what survives.
 */
import { BadInputError } from '../errors.js';
import { baseName, displayPath, parentOf, type LayerEntry } from './layer-entry.js';

/** A regular file's content and metadata (or a hardlinked symlink, fifo or device's), shared by its hardlinks. */
export interface Inode {
  id: number;
  /** The entry that created it (mode, owner, xattrs, size, digest). */
  entry: LayerEntry;
  /** Layer that wrote it. */
  layer: number;
  /** Union paths that link to it now. */
  links: number;
}

export interface UnionNode {
  /** This path's current version; for files and hardlinks the inode carries the shared attributes. */
  entry: LayerEntry;
  /** Layer that supplied the current version. */
  layer: number;
  /** Highest layer that added this node or anything beneath it (opaque dirs keep such subtrees). */
  seen: number;
  inode?: Inode | undefined;
  children?: Map<string, UnionNode> | undefined;
}

export type RemovalReason = 'overwritten' | 'whiteout' | 'opaque';

/** Called while layers are applied; every method optional. */
export interface UnionObserver {
  /** `entry` was applied at `layer`; `previous` is what the path held before (already removed). */
  added?(layer: number, entry: LayerEntry, node: UnionNode, previous: UnionNode | undefined): void;
  /** A path (and, for directories, each path beneath, reported one by one) left the union. */
  removed?(layer: number, path: string, node: UnionNode, reason: RemovalReason): void;
  /** An inode lost its last link: its bytes are now waste. */
  released?(layer: number, path: string, inode: Inode, reason: RemovalReason): void;
}

/** A path of the final union, hardlinks resolved to their inode's attributes. */
export interface UnionFile extends Omit<LayerEntry, 'type'> {
  /** Hardlinks appear as their target's type (a file, or a symlink, fifo or device) with the same `inode`. */
  type: Exclude<LayerEntry['type'], 'hardlink' | 'whiteout' | 'opaque'>;
  /** Layer the content (files) or the entry (others) came from. */
  layer: number;
  inode?: number | undefined;
}

const ROOT_ENTRY: LayerEntry = { path: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };

export class UnionTree {
  readonly root: UnionNode = { entry: ROOT_ENTRY, layer: -1, seen: -1, children: new Map() };
  private nextInode = 1;
  /** Nodes removed so far; the directory parentDir found last is valid while this stays the same. */
  private removals = 0;
  private lastDir: { path: string; layer: number; node: UnionNode; removals: number } | undefined;

  constructor(private readonly observer: UnionObserver = {}, private readonly where = 'image') {}

  /** Applies one layer's entries; `layer` must increase from call to call. */
  async applyLayer(layer: number, entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>): Promise<void> {
    for await (const e of entries) this.apply(layer, e);
  }

  apply(layer: number, e: LayerEntry): void {
    if (e.path === '') {
      if (e.type === 'dir') this.root.entry = { ...e, path: '' };
      else if (e.type === 'opaque') this.prune(this.root, '', layer, 'opaque');
      return;
    }
    switch (e.type) {
      case 'whiteout':
        return this.whiteout(layer, e.path);
      case 'opaque': {
        const dir = this.ensureDir(layer, e.path, e);
        this.prune(dir, e.path, layer, 'opaque');
        return;
      }
      default:
        return this.put(layer, e);
    }
  }

  /** The node at `path`, if the union has one. */
  get(path: string): UnionNode | undefined {
    if (path === '') return this.root;
    let node: UnionNode | undefined = this.root;
    for (const part of path.split('/')) {
      node = node?.children?.get(part);
      if (!node) return undefined;
    }
    return node;
  }

  /** Every path of the union below the root, depth first in byte order. */
  *files(): Generator<UnionFile> {
    yield* this.walk(this.root, '');
  }

  private *walk(node: UnionNode, path: string): Generator<UnionFile> {
    const names = [...node.children!.keys()].sort(compareBytes);
    for (const name of names) {
      const child = node.children!.get(name)!;
      const p = path ? `${path}/${name}` : name;
      yield toUnionFile(p, child);
      if (child.children) yield* this.walk(child, p);
    }
  }

  /**
   * The directory `path` goes in (made as Docker makes a missing one); it and every directory above it have
   * then been seen at `layer`. A layer lists a directory's entries one after another, so the last directory
   * found is kept until the next removal (the only way a node leaves the tree).
   */
  private parentDir(layer: number, path: string): UnionNode {
    const parent = parentOf(path);
    if (parent === '') {
      if (this.root.seen < layer) this.root.seen = layer;
      return this.root;
    }
    const last = this.lastDir;
    if (last && last.path === parent && last.layer === layer && last.removals === this.removals) return last.node;
    const node = this.ensureDir(layer, parent, undefined);
    this.lastDir = { path: parent, layer, node, removals: this.removals };
    return node;
  }

  /** The directory at `path`, created (0755 root, as Docker does) when missing or when a non-dir is in the way. */
  private ensureDir(layer: number, path: string, entry: LayerEntry | undefined): UnionNode {
    const existing = this.get(path);
    if (existing?.children) {
      this.touch(path, layer);
      return existing;
    }
    const dirEntry: LayerEntry = entry && entry.type === 'dir' ? entry : { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 };
    this.put(layer, dirEntry);
    return this.get(path)!;
  }

  private touch(path: string, layer: number): void {
    let node: UnionNode | undefined = this.root;
    if (node.seen < layer) node.seen = layer;
    if (path === '') return;
    for (const part of path.split('/')) {
      node = node?.children?.get(part);
      if (!node) return;
      if (node.seen < layer) node.seen = layer;
    }
  }

  private put(layer: number, e: LayerEntry): void {
    const parent = this.parentDir(layer, e.path);
    const name = baseName(e.path);
    const previous = parent.children!.get(name);
    let node: UnionNode;
    if (e.type === 'dir' && previous?.children) {
      // A directory re-emitted by a later layer keeps its children; only its metadata changes.
      const before: UnionNode = { ...previous };
      previous.entry = e;
      previous.layer = layer;
      previous.seen = Math.max(previous.seen, layer);
      this.observer.added?.(layer, e, previous, before);
      return;
    }
    if (previous) this.removeSubtree(layer, e.path, previous, 'overwritten');
    if (e.type === 'hardlink') {
      const target = this.get(e.linkTarget ?? '');
      if (!target || target.children || target === this.root) {
        throw new BadInputError(`${this.where}: layer ${layer}: hardlink ${displayPath(e.path)} points to ${displayPath(e.linkTarget ?? '')}, which is ${target ? 'a directory' : 'missing'}`);
      }
      // Docker's own layers link symlinks, fifos and devices too (link(2) does not follow a symlink).
      target.inode ??= { id: this.nextInode++, entry: target.entry, layer: target.layer, links: 1 };
      target.inode.links++;
      node = { entry: e, layer, seen: layer, inode: target.inode };
    } else if (e.type === 'file') {
      node = { entry: e, layer, seen: layer, inode: { id: this.nextInode++, entry: e, layer, links: 1 } };
    } else if (e.type === 'dir') {
      node = { entry: e, layer, seen: layer, children: new Map() };
    } else {
      node = { entry: e, layer, seen: layer };
    }
    parent.children!.set(name, node);
    this.observer.added?.(layer, e, node, previous);
  }

  private whiteout(layer: number, path: string): void {
    const node = this.get(path);
    if (!node) return;
    if (node.seen < layer) {
      const parent = this.get(parentOf(path))!;
      parent.children!.delete(baseName(path));
      this.removeSubtree(layer, path, node, 'whiteout');
    } else if (node.children) {
      // Something in this layer is beneath a path this layer also whites out: keep this layer's entries only.
      this.prune(node, path, layer, 'whiteout');
    }
  }

  /** Removes everything under `dir` that came from layers below `layer`. */
  private prune(dir: UnionNode, path: string, layer: number, reason: RemovalReason): void {
    for (const [name, child] of [...dir.children!]) {
      const p = path ? `${path}/${name}` : name;
      if (child.seen < layer) {
        dir.children!.delete(name);
        this.removeSubtree(layer, p, child, reason);
      } else if (child.children) {
        this.prune(child, p, layer, reason);
      }
    }
  }

  private removeSubtree(layer: number, path: string, node: UnionNode, reason: RemovalReason): void {
    this.removals++;
    if (node.children) {
      for (const [name, child] of node.children) this.removeSubtree(layer, `${path}/${name}`, child, reason);
    }
    this.observer.removed?.(layer, path, node, reason);
    if (node.inode) {
      node.inode.links--;
      if (node.inode.links === 0) this.observer.released?.(layer, path, node.inode, reason);
    }
  }
}

function toUnionFile(path: string, node: UnionNode): UnionFile {
  const src = node.inode ? node.inode.entry : node.entry;
  const type = (node.inode ? node.inode.entry.type : node.entry.type) as UnionFile['type'];
  const f: UnionFile = {
    path, type, mode: src.mode, uid: src.uid, gid: src.gid, size: node.inode ? src.size : 0, mtime: src.mtime,
    layer: node.inode ? node.inode.layer : node.layer,
  };
  if (type === 'symlink') f.linkTarget = src.linkTarget;
  if (type === 'char' || type === 'block') {
    f.devMajor = src.devMajor;
    f.devMinor = src.devMinor;
  }
  if (src.xattrs) f.xattrs = src.xattrs;
  if (node.inode) {
    f.digest = src.digest;
    f.inode = node.inode.id;
  }
  return f;
}

/** Byte-wise order of byte strings (what `LC_ALL=C sort` gives). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

