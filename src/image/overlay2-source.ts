/**
 * Reads an image straight from overlay2's layer directories (GraphDriver data): each layer's `diff` dir is
 * walked like a tar would list it. overlay2 marks whiteouts as 0/0 character devices and opaque directories
 * with the `trusted.overlay.opaque` xattr (`user.overlay.opaque` with userxattr).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { readTreeXattrs, type TreeXattrs } from '../host/xattrs.js';
import type { LayerEntry } from './layer-entry.js';
import { contentRef, setContentRef } from './content-ref.js';
import type { LayerIndex } from './layer-index.js';
import { mapLimit } from '../map-limit.js';

const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;

/**
 * `all` hashes every file, as a tar source does; `none` leaves digests out and `hashNeeded` fills them in
 * later for the paths that several layers write (the only ones whose contents analyze compares).
 */
export type DigestPolicy = 'all' | 'none';

/** Indexes one overlay2 diff directory; `diffId` comes from the image config. */
export async function indexOverlayDiff(dir: string, diffId: string, digests: DigestPolicy = 'all', xattrsRead?: Promise<TreeXattrs | undefined>): Promise<LayerIndex | undefined> {
  const xattrs = await (xattrsRead ?? readTreeXattrs(dir));
  if (!xattrs) return undefined;
  const entries: LayerEntry[] = [];
  const links = new Map<string, string>();
  let tarBytes = 1024;
  await walk(dir, '', xattrs, entries, links, digests);
  for (const e of entries) tarBytes += 512 + (e.path.length > 100 ? 1024 : 0) + Math.ceil(e.size / 512) * 512;
  return { diffId, tarBytes, compression: 'none', storedBytes: tarBytes, storedDigest: diffId, entries };
}

async function walk(root: string, rel: string, xattrs: TreeXattrs, out: LayerEntry[], links: Map<string, string>, digests: DigestPolicy): Promise<void> {
  const abs = rel ? `${root}/${rel}` : root;
  // Metadata calls are synchronous: on cached inodes they take microseconds, a thread-pool round trip is slower.
  const names = readdirSync(Buffer.from(abs, 'latin1'), { encoding: 'buffer' }).map((n) => n.toString('latin1')).sort();
  const stats = names.map((n) => lstatSync(Buffer.from(`${abs}/${n}`, 'latin1')));
  const paths = names.map((n) => (rel ? `${rel}/${n}` : n));
  // Hardlinks are decided in name order before any reading, so the first name is always the file.
  const linkOf = paths.map((path, i) => {
    const s = stats[i]!;
    if (!s.isFile() || s.nlink < 2) return undefined;
    const key = `${s.dev}:${s.ino}`;
    const first = links.get(key);
    if (first === undefined) links.set(key, path);
    return first;
  });
  // Files are hashed a few at a time: the thread pool reads while the main thread hashes.
  const entries = await mapLimit(paths, 4, (path, i) => toEntry(root, path, stats[i]!, xattrs.get(path), linkOf[i], digests));
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    out.push(entries[i]!);
    if (stats[i]!.isDirectory()) {
      const attrs = xattrs.get(path);
      const opaque = attrs?.['trusted.overlay.opaque'] ?? attrs?.['user.overlay.opaque'];
      if (opaque && opaque.toString('latin1') === 'y') out.push({ path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
      await walk(root, path, xattrs, out, links, digests);
    }
  }
}

/** getfattr over several trees, a few at a time, started ahead of the walks that need the answers. */
export function readXattrsAhead(dirs: string[], concurrency = 3): Promise<TreeXattrs | undefined>[] {
  const gates: Promise<unknown>[] = [];
  return dirs.map((dir, i) => {
    const job = (gates[i - concurrency] ?? Promise.resolve()).catch(() => undefined).then(() => readTreeXattrs(dir));
    gates[i] = job;
    job.catch(() => undefined); // a caller that stops early must not leave an unhandled rejection behind
    return job;
  });
}

const SMALL_FILE = 1024 * 1024;

async function toEntry(root: string, path: string, s: Stats, attrs: Record<string, Buffer> | undefined, hardlinkTo: string | undefined, digests: DigestPolicy): Promise<LayerEntry> {
  const base = { path, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: 0, mtime: Math.floor(s.mtimeMs / 1000) };
  let xattrs: Record<string, Buffer> | undefined;
  for (const [k, v] of Object.entries(attrs ?? {})) if (!OVERLAY_XATTR.test(k)) (xattrs ??= {})[k] = v;
  const withX = (e: LayerEntry): LayerEntry => (xattrs ? { ...e, xattrs } : e);
  const abs = Buffer.from(`${root}/${path}`, 'latin1');
  if (s.isDirectory()) return withX({ ...base, type: 'dir' });
  if (s.isSymbolicLink()) return withX({ ...base, type: 'symlink', linkTarget: readlinkSync(abs, { encoding: 'buffer' }).toString('latin1') });
  if (s.isCharacterDevice() && s.rdev === 0) return { ...base, type: 'whiteout', mode: 0 };
  if (s.isCharacterDevice() || s.isBlockDevice()) {
    return withX({ ...base, type: s.isCharacterDevice() ? 'char' : 'block', devMajor: Math.floor(s.rdev / 256) & 0xfff, devMinor: (s.rdev & 0xff) | ((s.rdev >> 12) & 0xfff00) });
  }
  if (s.isFIFO()) return withX({ ...base, type: 'fifo' });
  if (hardlinkTo !== undefined) return withX({ ...base, type: 'hardlink', linkTarget: hardlinkTo });
  const entry = withX({ ...base, type: 'file', size: s.size });
  setContentRef(entry, { file: abs, start: 0, length: s.size });
  if (digests === 'all') entry.digest = await hashFile(abs, s.size);
  return entry;
}

async function hashFile(abs: Buffer, size: number): Promise<string> {
  const hash = createHash('sha256');
  // Small files are read synchronously: four thread-pool round trips (open, fstat, read, close) cost more than the read.
  if (size <= SMALL_FILE) hash.update(readFileSync(abs));
  else for await (const c of createReadStream(abs, { highWaterMark: 1024 * 1024 })) hash.update(c as Buffer);
  return `sha256:${hash.digest('hex')}`;
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
    e.digest = await hashFile(contentRef(e)!.file as Buffer, e.size);
  });
  return todo.size;
}
