/**
 * One entry of a layer, whatever the source (tar, overlay2 directory): the unit the union tree applies and
 * writers consume. Paths are byte strings (latin1: one char per byte) so names that are not UTF-8 stay exact.
 */
import { BadInputError } from '../errors.js';
import { contentHasher, type ContentHashKind } from './content-hash.js';
import type { TarEntry, TarHeader } from './tar-reader.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
  /** `.wh.NAME` in a tar, a 0/0 char device in overlay2: hides `path` in lower layers. */
  | 'whiteout'
  /** `.wh..wh..opq` in a tar, `trusted.overlay.opaque=y` in overlay2: hides everything lower under `path`. */
  | 'opaque';

export interface LayerEntry {
  /** Normalised relative path without leading `/` or `./`, as a byte string; '' is the root. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes of a regular file; 0 for everything else (hardlinks carry none). */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlink target as stored; for hardlinks the normalised path of the target. */
  linkTarget?: string | undefined;
  devMajor?: number;
  devMinor?: number;
  /** Extended attributes, values byte-exact (from PAX `SCHILY.xattr.*` or the filesystem). */
  xattrs?: Record<string, Buffer> | undefined;
  /** `sha256:<hex>` of a regular file's content, when the source computed it. */
  digest?: string | undefined;
}

/** A LayerEntry as a stream yields it: `body` is the content, valid until the next entry is requested. */
export interface StreamedEntry extends LayerEntry {
  body?: AsyncIterable<Buffer>;
  /** Where the entry started in its layer's uncompressed stream, for error messages. */
  offset?: number;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** A byte-string path as text for people (invalid UTF-8 becomes U+FFFD). */
export function displayPath(path: string): string {
  return `/${Buffer.from(path, 'latin1').toString('utf8')}`;
}

/** Normalises a path from an archive; rejects anything that would leave the root. */
export function normalizePath(raw: string, where: string): string {
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new BadInputError(`${where}: path "${displayPath(raw).slice(1)}" escapes the root`);
    parts.push(part);
  }
  return parts.join('/');
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

const XATTR_PREFIX = 'SCHILY.xattr.';

/** Turns a tar header into a layer entry, mapping AUFS-style whiteouts; undefined for entries to ignore. */
export function entryFromTar(h: TarHeader, where: string): LayerEntry | undefined {
  let type = TYPES[h.typeflag];
  if (!type) {
    throw new BadInputError(`${where}: unsupported tar entry type '${h.typeflag}' for "${displayPath(h.name).slice(1)}" at byte ${h.offset}`);
  }
  let path = normalizePath(h.name, where);
  const base = baseName(path);
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const dir = parentOf(path);
    if (base === OPAQUE_MARKER) {
      type = 'opaque';
      path = dir;
    } else {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (!hidden || hidden === '.' || hidden === '..') throw new BadInputError(`${where}: bad whiteout "${displayPath(h.name).slice(1)}" at byte ${h.offset}`);
      type = 'whiteout';
      path = dir ? `${dir}/${hidden}` : hidden;
    }
  }
  let xattrs: Record<string, Buffer> | undefined;
  for (const [key, value] of h.pax) {
    if (key.startsWith(XATTR_PREFIX)) (xattrs ??= {})[key.slice(XATTR_PREFIX.length)] = value;
  }
  const entry: LayerEntry = {
    path,
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    size: type === 'file' ? h.size : 0,
    mtime: h.mtime,
  };
  if (type === 'symlink') entry.linkTarget = h.linkname;
  if (type === 'hardlink') entry.linkTarget = normalizePath(h.linkname, where);
  if (type === 'char' || type === 'block') {
    entry.devMajor = h.devmajor;
    entry.devMinor = h.devminor;
  }
  if (xattrs) entry.xattrs = xattrs;
  if (type === 'whiteout' || type === 'opaque') entry.size = 0;
  return entry;
}

export interface EntryStreamOptions {
  /** Compute `digest` for regular files by reading their content (the body is then consumed). */
  hashContent?: ContentHashKind;
}

/** Layer entries from tar entries; with `hashContent` every file gets that digest and no body. */
export async function* entriesFromTar(tar: AsyncIterable<TarEntry>, where: string, options: EntryStreamOptions = {}): AsyncGenerator<StreamedEntry> {
  for await (const { header, body } of tar) {
    const entry = entryFromTar(header, where) as StreamedEntry | undefined;
    if (!entry) continue;
    entry.offset = header.offset;
    if (entry.type === 'file') {
      if (options.hashContent) {
        const hash = contentHasher(options.hashContent);
        for await (const piece of body) hash.update(piece);
        entry.digest = hash.digest();
      } else {
        entry.body = body;
      }
    }
    yield entry;
  }
}
