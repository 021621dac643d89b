/**
 * A volume's contents as one digest that does not depend on the order a tar lists them in (which follows
 * readdir on the host that made it): one record per path with type, mode, owner, size, content sha256, link
 * target, mtime (not for directories, which extraction touches) and xattrs; hardlinks as a group named by
 * their first path in sort order. Two volumes with equal digests hold the same tree.
 */
import { createHash } from 'node:crypto';
import { readTar } from '../image/tar-reader.js';
import { normalizePath } from '../image/layer-entry.js';

export interface VolumeTree {
  /** `sha256:` over the sorted records. */
  digest: string;
  /** Record text by path ('' is the volume's root), for naming what differs. */
  records: Map<string, string>;
  /** The digest without the xattrs a remote engine's archive API does not read (all but security.capability). */
  apiDigest: string;
}

const TYPES: Record<string, string> = { '0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

interface Raw {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  sha?: string;
  link?: string;
  dev?: string;
  xattrs: string;
}

export async function volumeTree(tar: AsyncIterable<Buffer>, where: string): Promise<VolumeTree> {
  const raw = new Map<string, Raw>();
  const linkOf = new Map<string, string>();
  for await (const { header, body } of readTar(tar, where)) {
    const type = TYPES[header.typeflag];
    if (!type) continue;
    const path = normalizePath(header.name, where);
    const xattrs = [...header.pax].filter(([k]) => k.startsWith('SCHILY.xattr.')).map(([k, v]) => `${k.slice(13)}=${v.toString('base64')}`).sort().join(',');
    const r: Raw = { type, mode: header.mode & 0o7777, uid: header.uid, gid: header.gid, size: type === 'file' ? header.size : 0, mtime: Math.floor(header.mtime), xattrs };
    if (type === 'file') {
      const hash = createHash('sha256');
      for await (const c of body) hash.update(c);
      r.sha = hash.digest('hex');
    }
    if (type === 'symlink') r.link = header.linkname;
    if (type === 'hardlink') linkOf.set(path, normalizePath(header.linkname, where));
    if (type === 'char' || type === 'block') r.dev = `${header.devmajor}:${header.devminor}`;
    raw.set(path, r);
  }
  // every member of a hardlink group gets the target's record and the group's smallest path
  const root = (p: string): string => {
    let q = p;
    for (let i = 0; i < 64 && linkOf.has(q); i++) q = linkOf.get(q)!;
    return q;
  };
  const groups = new Map<string, string[]>();
  for (const p of linkOf.keys()) {
    const r = root(p);
    groups.set(r, [...(groups.get(r) ?? [r]), p]);
  }
  const groupName = new Map<string, string>();
  for (const members of groups.values()) {
    const first = [...members].sort()[0]!;
    for (const m of members) groupName.set(m, first);
  }
  const records = new Map<string, string>();
  for (const [path, r0] of raw) {
    const r = r0.type === 'hardlink' ? { ...(raw.get(root(path)) ?? r0) } : r0;
    const fields = [
      r.type, (r.mode).toString(8), `${r.uid}:${r.gid}`, String(r.size), r.sha ?? '', r.link ?? '', r.dev ?? '',
      r.type === 'dir' ? '' : String(r.mtime), r.xattrs, groupName.get(path) ?? '',
    ];
    records.set(path, fields.join('|'));
  }
  const hash = createHash('sha256');
  const api = createHash('sha256');
  for (const path of [...records.keys()].sort()) {
    hash.update(`${path}\0${records.get(path)}\n`);
    const fields = records.get(path)!.split('|');
    fields[8] = fields[8]!.split(',').filter((x) => x.startsWith('security.capability=')).join(',');
    api.update(`${path}\0${fields.join('|')}\n`);
  }
  return { digest: `sha256:${hash.digest('hex')}`, records, apiDigest: `sha256:${api.digest('hex')}` };
}

/** Paths whose records differ between two trees, sorted, with what each side has ('' when absent). */
export function treeDifferences(expected: Map<string, string>, actual: Map<string, string>): { path: string; expected: string; actual: string }[] {
  const paths = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  return paths.filter((p) => expected.get(p) !== actual.get(p)).map((p) => ({ path: p, expected: expected.get(p) ?? '', actual: actual.get(p) ?? '' }));
}
