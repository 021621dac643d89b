/**
 * Reads an image straight from overlay2's layer directories (GraphDriver data): each layer's `diff` dir is
 * walked like a tar would list it. overlay2 marks whiteouts as 0/0 character devices and opaque directories
 * with the `trusted.overlay.opaque` xattr (`user.overlay.opaque` with userxattr).
 */
import type { Stats } from 'node:fs';
import type { TreeXattrs } from '../host/xattrs.js';
import type { LayerEntry } from './layer-entry.js';
import { contentDigest, contentRef, setContentRef } from './content-ref.js';
import { directReads, type LayerDirReads } from './layer-dir-reads.js';
import type { LayerIndex } from './layer-index.js';
import { mapLimit } from '../map-limit.js';
import { TimeSlice } from '../time-slice.js';

const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;

/**
 * `all` hashes every file, as a tar source does; `none` leaves digests out and `hashNeeded` fills them in
 * later for the paths that several layers write (the only ones whose contents analyze compares).
 */
export type DigestPolicy = 'all' | 'none';

/**
 * Walks one overlay2 diff directory into entries, without extended attributes: `overlayLayer` adds them
 * once getfattr (run for every layer at once, while the directories are walked) has answered. `reads`: shared
 * with flatten's merged walk of the same directories (layer-dir-reads.ts).
 */
export async function walkOverlayDiff(dir: string, digests: DigestPolicy = 'all', reads: LayerDirReads = directReads): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  await walk(dir, entries, digests, reads);
  return entries;
}

/**
 * The layer of walked `entries` with their extended attributes: overlay2's own ones are dropped, and a
 * directory marked opaque is followed by an opaque entry, as a tar would list it. Entries are changed in
 * place (their content refs are keyed by the entry objects).
 */
export function overlayLayer(entries: LayerEntry[], xattrs: TreeXattrs, diffId: string): LayerIndex {
  const out: LayerEntry[] = [];
  for (const e of entries) {
    const attrs = e.type === 'whiteout' ? undefined : xattrs.get(e.path);
    addOwnXattrs(e, attrs);
    out.push(e);
    if (e.type === 'dir' && isOpaque(attrs)) out.push({ path: e.path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
  }
  let tarBytes = 1024;
  for (const e of out) tarBytes += 512 + (e.path.length > 100 ? 1024 : 0) + Math.ceil(e.size / 512) * 512;
  return { diffId, tarBytes, compression: 'none', storedBytes: tarBytes, storedDigest: diffId, entries: out };
}

async function walk(root: string, out: LayerEntry[], digests: DigestPolicy, reads: LayerDirReads): Promise<void> {
  const start = out.length;
  // the walk gives the event loop a turn every few ms: flatten's upload runs meanwhile on the same thread
  await list(root, '', out, new Map(), new TimeSlice(), reads);
  // Files are hashed a few at a time: the thread pool reads while the main thread hashes.
  if (digests === 'all') {
    await mapLimit(out.slice(start).filter((e) => e.type === 'file'), 4, async (e) => { e.digest = await contentDigest(e); });
  }
}

/**
 * Every name under `rel` as an entry, depth first, names in byte order: the order a tar of the directory
 * lists them. Hardlinks are decided in that order (a directory's contents come right after it, before the
 * names that sort after it, as Docker's tar writer lists them), so the name listed first always carries the
 * content: /opt/keep/k comes before /opt/keep-hardlink, although "keep" and "keep-hardlink" are in one readdir.
 * Each lstat becomes its entry at once (shared reads keep it only until the other walk takes it).
 */
async function list(root: string, rel: string, out: LayerEntry[], links: Map<string, string>, slice: TimeSlice, reads: LayerDirReads): Promise<void> {
  // Metadata calls are synchronous: on cached inodes they take microseconds, a thread-pool round trip is slower.
  // (a copy: a shared answer is not sorted in place)
  const names = [...reads.names(root, rel)].sort();
  for (const n of names) {
    const path = rel ? `${rel}/${n}` : n;
    if (slice.due) await slice.pause();
    const stats = reads.lstat(root, path);
    let hardlinkTo: string | undefined;
    if (stats.isFile() && stats.nlink > 1) {
      const key = `${stats.dev}:${stats.ino}`;
      hardlinkTo = links.get(key);
      if (hardlinkTo === undefined) links.set(key, path);
    }
    out.push(toEntry(root, path, stats, hardlinkTo, reads));
    if (stats.isDirectory()) await list(root, path, out, links, slice, reads);
  }
}

/** Adds the attributes of `attrs` that are the file's own (not overlay2's bookkeeping) to `entry`. */
export function addOwnXattrs(entry: LayerEntry, attrs: Record<string, Buffer> | undefined): void {
  for (const [k, v] of Object.entries(attrs ?? {})) if (!OVERLAY_XATTR.test(k)) (entry.xattrs ??= {})[k] = v;
}

/** True when a directory's attributes mark it opaque: it hides the layers below it. */
export function isOpaque(attrs: Record<string, Buffer> | undefined): boolean {
  const opaque = attrs?.['trusted.overlay.opaque'] ?? attrs?.['user.overlay.opaque'];
  return opaque?.toString('latin1') === 'y';
}

/** True when `s` is overlay2's whiteout: a 0/0 character device. */
export function isWhiteout(s: Stats): boolean {
  return s.isCharacterDevice() && s.rdev === 0;
}

/** The entry of `path` (relative to `root`) from its lstat, with a content ref for regular files. */
export function toEntry(root: string, path: string, s: Stats, hardlinkTo: string | undefined, reads: LayerDirReads = directReads): LayerEntry {
  // every entry has the same properties in the same order: code that reads many entries sees one shape
  const make = (type: LayerEntry['type'], mode: number, size: number, linkTarget?: string, devMajor?: number, devMinor?: number): LayerEntry =>
    ({ path, type, mode, uid: s.uid, gid: s.gid, size, mtime: Math.floor(s.mtimeMs / 1000), linkTarget, devMajor, devMinor, xattrs: undefined, digest: undefined });
  const mode = s.mode & 0o7777;
  if (s.isDirectory()) return make('dir', mode, 0);
  if (s.isSymbolicLink()) return make('symlink', mode, 0, reads.readlink(root, path));
  if (isWhiteout(s)) return make('whiteout', 0, 0);
  if (s.isCharacterDevice() || s.isBlockDevice()) {
    return make(s.isCharacterDevice() ? 'char' : 'block', mode, 0, undefined, Math.floor(s.rdev / 256) & 0xfff, (s.rdev & 0xff) | ((s.rdev >> 12) & 0xfff00));
  }
  if (s.isFIFO()) return make('fifo', mode, 0);
  if (hardlinkTo !== undefined) return make('hardlink', mode, 0, hardlinkTo);
  const entry = make('file', mode, s.size);
  setContentRef(entry, { file: Buffer.from(`${root}/${path}`, 'latin1'), start: 0, length: s.size });
  return entry;
}


/**
 * Hashes the unhashed files at paths that more than one layer writes (a hardlink written over later needs
 * its target's content, so the target is hashed too).
 */
export async function hashNeeded(layers: LayerIndex[]): Promise<number> {
  const seen = new Map<string, number>();
  for (const l of layers) for (const e of l.entries) if (e.type === 'file' || e.type === 'hardlink') seen.set(e.path, (seen.get(e.path) ?? 0) + 1);
  const todo = new Set<LayerEntry>();
  for (const l of layers) {
    let files: Map<string, LayerEntry> | undefined;
    for (const e of l.entries) {
      if ((seen.get(e.path) ?? 0) < 2) continue;
      let target: LayerEntry | undefined = e;
      if (e.type === 'hardlink') {
        files ??= new Map(l.entries.filter((x) => x.type === 'file').map((x) => [x.path, x]));
        target = files.get(e.linkTarget ?? '');
      }
      if (target?.type === 'file' && target.digest === undefined && contentRef(target)) todo.add(target);
    }
  }
  await mapLimit([...todo], 4, async (e) => {
    e.digest = await contentDigest(e);
  });
  return todo.size;
}
