/**
 * Equality of two merged filesystems as a container sees them: paths, types, modes, owners, sizes, content
 * digests, link targets, device numbers, xattrs byte for byte, regular files' mtimes, and which paths share
 * an inode. Directory mtimes are left out: Docker itself does not keep them stable across a load.
 */
import { displayPath } from '../image/layer-entry.js';
import type { UnionFile, UnionTree } from '../image/union-tree.js';

/**
 * One comparable line per path, in path order. `digestOf` says which content digest stands for a file (by
 * default the one its layer recorded); flatten leaves out files of kept layers, whose bytes the layer's diff
 * ID already proves.
 */
export function canonicalUnion(tree: UnionTree, digestOf: (f: UnionFile) => string | undefined = (f) => f.digest): Map<string, string> {
  return prepareUnion(tree)(digestOf);
}

/**
 * canonicalUnion in two steps: this one describes every path but for its content digest; the function it
 * returns adds the digests. flatten describes the input while its upload runs, and adds the checksums taken
 * on the way once the last byte is written.
 */
export function prepareUnion(tree: UnionTree): (digestOf: (f: UnionFile) => string | undefined) => Map<string, string> {
  const files = [...tree.files()];
  const groups = new Map<number, string[]>();
  for (const f of files) {
    if (f.inode === undefined) continue;
    const group = groups.get(f.inode);
    if (group) group.push(f.path);
    else groups.set(f.inode, [f.path]);
  }
  const parts = files.map((f) => describe(f, groups));
  return (digestOf) => {
    const out = new Map<string, string>();
    files.forEach((f, i) => {
      const [head, tail] = parts[i]!;
      out.set(f.path, `${head},${JSON.stringify((f.type === 'file' ? digestOf(f) : undefined) ?? '')},${tail}`);
    });
    return out;
  };
}

const NONE: string[] = [];

/**
 * A path's line without its digest: the JSON array [type, mode, uid, gid, size, digest, mtime, link target,
 * device, xattrs, hardlinked paths], split where the digest goes.
 */
function describe(f: UnionFile, groups: Map<number, string[]>): [string, string] {
  const links = f.inode !== undefined ? groups.get(f.inode)! : NONE;
  const xattrs = f.xattrs ? Object.entries(f.xattrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v.toString('hex')}`) : NONE;
  const head = JSON.stringify([f.type, f.mode.toString(8), f.uid, f.gid, f.size]);
  const tail = JSON.stringify([
    f.type === 'file' ? f.mtime : '',
    f.linkTarget === undefined ? '' : Buffer.from(f.linkTarget, 'latin1').toString('hex'),
    f.devMajor ?? '', f.devMinor ?? '', xattrs, links.length > 1 ? links.slice().sort() : [],
  ]);
  return [head.slice(0, -1), tail.slice(1)];
}

export interface UnionDifference {
  path: string;
  expected: string | undefined;
  actual: string | undefined;
}

/** Up to `limit` differences between two canonical unions (missing, extra or changed paths). */
export function compareUnions(expected: Map<string, string>, actual: Map<string, string>, limit = 20): { count: number; first: UnionDifference[] } {
  const first: UnionDifference[] = [];
  let count = 0;
  const note = (path: string, e: string | undefined, a: string | undefined) => {
    count++;
    if (first.length < limit) first.push({ path: displayPath(path), expected: e, actual: a });
  };
  for (const [path, e] of expected) {
    const a = actual.get(path);
    if (a !== e) note(path, e, a);
  }
  for (const [path, a] of actual) if (!expected.has(path)) note(path, undefined, a);
  return { count, first };
}
