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
    // Docker's layer code knows only these types either ('S', old GNU sparse: "unhandled tar header type 83").
    throw new BadInputError(`${where}: unsupported tar entry type '${h.typeflag}' for "${displayPath(h.name).slice(1)}" at byte ${h.offset} (Docker refuses it too: "unhandled tar header type ${h.typeflag.charCodeAt(0)}")`);
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
  const device = type === 'char' || type === 'block';
  // every entry has the same properties in the same order (overlay2's toEntry too): code that reads many
  // entries sees one object shape, where optional properties added later made its property loads megamorphic
  return {
    path,
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    size: type === 'file' ? h.size : 0,
    mtime: h.mtime,
    linkTarget: type === 'symlink' ? h.linkname : type === 'hardlink' ? normalizePath(h.linkname, where) : undefined,
    devMajor: device ? h.devmajor : undefined,
    devMinor: device ? h.devminor : undefined,
    xattrs,
    digest: undefined,
  };
}

export interface EntryStreamOptions {
  /** Compute `digest` for regular files by reading their content (the body is then consumed). */
  hashContent?: ContentHashKind;
}

/**
 * Layer entries from tar entries, as Docker applies them; with `hashContent` every file gets that digest and
 * no body. Docker's rules for one layer hold (see LayerPaths): a symlink of this layer used as a parent is
 * followed, and what Docker refuses to load is refused.
 */
export async function* entriesFromTar(tar: AsyncIterable<TarEntry>, where: string, options: EntryStreamOptions = {}): AsyncGenerator<StreamedEntry> {
  const paths = new LayerPaths(where);
  for await (const { header, body } of tar) {
    const entry = entryFromTar(header, where) as StreamedEntry | undefined;
    if (!entry) continue;
    paths.apply(header, entry);
    // A sparse file's bytes are not one range after its header: it gets no offset, so no content ref.
    if (!header.sparse) entry.offset = header.offset;
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

type LayerNode = { kind: 'dir' } | { kind: 'symlink'; target: string } | { kind: 'other' };

const MAX_SYMLINKS = 40;

/**
 * One layer's own tree as Docker builds it when it applies the layer (moby's UnpackLayer, chrooted into the
 * layer's empty diff directory, so nothing of lower layers is visible):
 * - a symlink this layer made earlier is followed when a later entry goes beneath it (`lnk -> /etc`, then
 *   `lnk/file` writes `etc/file`); a missing parent is created as a directory, except through a symlink,
 *   and a non-directory parent is an error;
 * - a hardlink's target must be a non-directory this layer made before it (Docker: "link /a /b: no such file
 *   or directory");
 * - two entries with the same name are refused (tar-split: "duplicates of file paths not supported").
 */
export class LayerPaths {
  private readonly nodes = new Map<string, LayerNode>();
  private readonly names = new Set<string>();

  constructor(private readonly where: string) {}

  /** Checks `entry` (made from `header`) against the layer so far, rewrites its paths as Docker resolves them, and records it. */
  apply(header: TarHeader, entry: LayerEntry): void {
    // tar-split's key is the cleaned raw name (a whiteout's own `.wh.` name), a leading `/` kept
    const clean = entry.type === 'whiteout' || entry.type === 'opaque' ? normalizePath(header.name, this.where) : entry.path;
    const name = header.name.charCodeAt(0) === 47 ? `/${clean}` : clean;
    if (this.names.has(name)) {
      throw new BadInputError(`${this.where}: "${displayPath(name.replace(/^\//, '')).slice(1)}" appears twice in one layer, at byte ${header.offset} (Docker refuses such a layer: "duplicates of file paths not supported")`);
    }
    this.names.add(name);
    const at = `at byte ${header.offset}`;
    if (entry.path === '') return;
    if (entry.type === 'opaque') {
      entry.path = this.resolveDir(entry.path.split('/'), true, { hops: 0 }, entry.path, at).join('/');
      return;
    }
    const parent = parentOf(entry.path);
    let resolvedParent = parent;
    if (parent !== '' && this.nodes.get(parent)?.kind !== 'dir') resolvedParent = this.resolveDir(parent.split('/'), true, { hops: 0 }, entry.path, at).join('/');
    if (resolvedParent !== parent) entry.path = resolvedParent ? `${resolvedParent}/${baseName(entry.path)}` : baseName(entry.path);
    if (entry.type === 'hardlink') entry.linkTarget = this.hardlinkTarget(entry, at);
    const previous = this.nodes.get(entry.path);
    if (previous?.kind === 'dir' && entry.type !== 'dir') {
      const prefix = `${entry.path}/`;
      for (const key of [...this.nodes.keys()]) if (key.startsWith(prefix)) this.nodes.delete(key);
    }
    if (entry.type === 'dir') this.nodes.set(entry.path, { kind: 'dir' });
    else if (entry.type === 'symlink') this.nodes.set(entry.path, { kind: 'symlink', target: entry.linkTarget ?? '' });
    else this.nodes.set(entry.path, { kind: 'other' });
  }

  private hardlinkTarget(entry: LayerEntry, at: string): string {
    const target = entry.linkTarget ?? '';
    const parent = parentOf(target);
    const dir = parent === '' ? [] : this.resolveDir(parent.split('/'), false, { hops: 0 }, entry.path, at, true);
    const resolved = [...dir, baseName(target)].filter((p) => p !== '').join('/');
    const node = resolved === '' ? undefined : this.nodes.get(resolved);
    if (node === undefined || node.kind === 'dir') {
      throw new BadInputError(`${this.where}: hardlink ${displayPath(entry.path)} points to ${displayPath(target)}, which this layer does not hold before it${node ? ' as a non-directory' : ''} (entry ${at}; Docker refuses such a layer: "link ${displayPath(target)} ${displayPath(entry.path)}: ${node ? 'operation not permitted' : 'no such file or directory'}")`);
    }
    return resolved;
  }

  /** The real path of directory `parts` in this layer, following its symlinks; creates missing ones when `create`. */
  private resolveDir(parts: string[], create: boolean, state: { hops: number }, forPath: string, at: string, quiet = false): string[] {
    let out: string[] = [];
    for (const part of parts) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        out.pop(); // chrooted: `..` at the root stays there
        continue;
      }
      const path = [...out, part].join('/');
      const node = this.nodes.get(path);
      if (node === undefined) {
        if (!create) {
          if (quiet) return [...out, part];
          throw this.cannot(forPath, at, `${displayPath(path)} does not exist in this layer`);
        }
        this.nodes.set(path, { kind: 'dir' });
        out.push(part);
      } else if (node.kind === 'dir') {
        out.push(part);
      } else if (node.kind === 'symlink') {
        if (++state.hops > MAX_SYMLINKS) throw this.cannot(forPath, at, 'too many levels of symbolic links');
        const base = node.target.startsWith('/') ? [] : out;
        // Through a symlink nothing is created: Docker's MkdirAll stops at a dangling one.
        out = this.resolveDir([...base, ...node.target.split('/')], false, state, forPath, at);
      } else {
        throw this.cannot(forPath, at, `${displayPath(path)} is not a directory`);
      }
    }
    return out;
  }

  private cannot(path: string, at: string, why: string): BadInputError {
    return new BadInputError(`${this.where}: ${displayPath(path)} ${at} cannot be placed: ${why} (Docker cannot apply such a layer)`);
  }
}
