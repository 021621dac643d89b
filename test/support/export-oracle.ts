/**
 * The oracle for what an image holds: `docker export` of a container created from it, read by Python's
 * tarfile (an implementation nobody here wrote), never by stowage's own tar reader or union tree, so a bug in
 * those cannot cancel out in a comparison. Tests compare stowage's reading (or its output's export) with it.
 */
import { spawn } from 'node:child_process';
import { DOCKER_CLI, docker } from './docker-cli.js';
import type { UnionFile } from '../../src/image/union-tree.js';

/** Builds with the classic builder: it leaves no BuildKit cache behind, and its intermediate images go with the tag. */
export const CLASSIC_BUILD: NodeJS.ProcessEnv = { DOCKER_BUILDKIT: '0' };

/** One member of the export as Python's tarfile reads it. Paths and link names are bytes as latin1 strings. */
export interface OracleEntry {
  path: string;
  type: 'file' | 'hardlink' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'other';
  /** Permission bits (0o7777): the type bits Go's tar writer adds to the header's mode are masked off. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname: string;
  /** sha256 of the content (regular files), `sha256:hex`. */
  sha256: string;
  mtime: number;
  devmajor: number;
  devminor: number;
  /** Extended attributes from the PAX SCHILY.xattr records, values in hex. */
  xattrs: Record<string, string>;
}

/** Reads a tar on stdin with tarfile and prints one JSON line per member. */
const TARFILE_SCRIPT = String.raw`
import hashlib, json, math, sys, tarfile
def raw(s):
    return s.encode('utf-8', 'surrogateescape').decode('latin1')
kinds = [('isreg', 'file'), ('islnk', 'hardlink'), ('isdir', 'dir'), ('issym', 'symlink'), ('ischr', 'char'), ('isblk', 'block'), ('isfifo', 'fifo')]
with tarfile.open(fileobj=sys.stdin.buffer, mode='r|*', encoding='utf-8', errors='surrogateescape') as tf:
    for m in tf:
        kind = next((k for f, k in kinds if getattr(m, f)()), 'other')
        digest = ''
        if kind == 'file':
            h = hashlib.sha256()
            body = tf.extractfile(m)
            while True:
                chunk = body.read(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
            digest = 'sha256:' + h.hexdigest()
        xattrs = {raw(k[len('SCHILY.xattr.'):]): v.encode('utf-8', 'surrogateescape').hex() for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}
        name = raw(m.name)
        while name.startswith('./'):
            name = name[2:]
        sys.stdout.write(json.dumps({'path': name.rstrip('/'), 'type': kind, 'mode': m.mode & 0o7777, 'uid': m.uid, 'gid': m.gid, 'size': m.size,
            'linkname': raw(m.linkname), 'sha256': digest, 'mtime': math.floor(m.mtime), 'devmajor': m.devmajor, 'devminor': m.devminor, 'xattrs': xattrs}) + '\n')
`;

/** Parses a tar stream with Python's tarfile. */
export function readTarWithPython(feed: (stdin: NodeJS.WritableStream) => void): Promise<OracleEntry[]> {
  return new Promise((resolve, reject) => {
    const py = spawn('python3', ['-c', TARFILE_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    py.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    py.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    py.stdin.on('error', () => undefined); // python exiting early shows in its status
    py.on('error', reject);
    py.on('close', (code) => {
      if (code !== 0) reject(new Error(`python3 tarfile failed (${code}): ${err}`));
      else resolve(out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as OracleEntry));
    });
    feed(py.stdin);
  });
}

/** `docker export` of a fresh container of `image`, read by Python's tarfile; the container and its anonymous volumes are removed. */
export async function exportWithPython(image: string, env: NodeJS.ProcessEnv = {}): Promise<OracleEntry[]> {
  const { stdout } = await docker(['create', '--network', 'none', image, '/bin/sh'], { env });
  const id = stdout.trim();
  try {
    return await readTarWithPython((stdin) => {
      const child = spawn(DOCKER_CLI, ['export', id], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
      child.stdout.pipe(stdin);
    });
  } finally {
    await docker(['rm', '-f', '-v', id], { env, allowFailure: true });
  }
}

/** What the engine adds to every container (its init layer), not part of the image. */
const INIT = new Set(['.dockerenv', 'dev', 'proc', 'sys', 'etc/hostname', 'etc/hosts', 'etc/mtab', 'etc/resolv.conf']);
export const isInitPath = (p: string): boolean => INIT.has(p) || /^(dev|proc|sys)\//.test(p);

/** A path's comparable description: the fields both sides of an oracle comparison produce. */
export interface Described {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Symlink target (latin1 bytes), else ''. */
  linkTarget: string;
  /** sha256 of a regular file's content, else ''. */
  sha256: string;
  /** Regular files and symlinks only: directory mtimes are not kept by Docker itself across a load. */
  mtime: number | '';
  devMajor: number | '';
  devMinor: number | '';
  xattrs: Record<string, string>;
  /** Every path sharing this file's inode (sorted), when there are several. */
  links: string[];
}

/** The export's members as described paths: hardlinks resolved to their target's content, init paths left out. */
export function describeExport(entries: OracleEntry[]): Map<string, string> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const groupOf = new Map<string, string>();
  for (const e of entries) {
    if (e.type !== 'hardlink') continue;
    let target = e.linkname.replace(/^\.?\//, '').replace(/\/$/, '');
    while (groupOf.has(target) && groupOf.get(target) !== target) target = groupOf.get(target)!;
    groupOf.set(target, target);
    groupOf.set(e.path, target);
  }
  const members = new Map<string, string[]>();
  for (const [path, root] of groupOf) members.set(root, [...(members.get(root) ?? []), path]);
  const out = new Map<string, string>();
  for (const e of entries) {
    if (isInitPath(e.path) || e.path === '' || e.path === '.') continue;
    const root = groupOf.get(e.path);
    const content = root !== undefined ? byPath.get(root) : e;
    if (!content) throw new Error(`docker export: hardlink ${e.path} to ${e.linkname}, which is not in the export`);
    const type = content.type === 'hardlink' ? 'file' : content.type;
    out.set(e.path, describe({
      path: e.path, type, mode: e.mode, uid: e.uid, gid: e.gid,
      size: type === 'file' ? content.size : 0,
      linkTarget: e.type === 'symlink' ? e.linkname : '',
      sha256: type === 'file' ? content.sha256 : '',
      mtime: type === 'file' || type === 'symlink' ? e.mtime : '',
      devMajor: type === 'char' || type === 'block' ? e.devmajor : '', devMinor: type === 'char' || type === 'block' ? e.devminor : '',
      xattrs: e.xattrs,
      links: root !== undefined ? members.get(root)!.slice().sort() : [],
    }));
  }
  return out;
}

/** One JSON line per path, so a difference shows which field differs. */
export function describe(d: Described): string {
  const xattrs = Object.entries(d.xattrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([d.type, d.mode.toString(8), `${d.uid}:${d.gid}`, d.size, Buffer.from(d.linkTarget, 'latin1').toString('hex'), d.sha256, d.mtime, d.devMajor, d.devMinor, xattrs, d.links]);
}

/** The paths that differ between `expected` (the oracle) and `actual`, with both descriptions. */
export function differences(expected: Map<string, string>, actual: Map<string, string>): { path: string; expected: string | undefined; actual: string | undefined }[] {
  const out: { path: string; expected: string | undefined; actual: string | undefined }[] = [];
  for (const [path, e] of expected) if (actual.get(path) !== e) out.push({ path, expected: e, actual: actual.get(path) });
  for (const [path, a] of actual) if (!expected.has(path)) out.push({ path, expected: undefined, actual: a });
  return out;
}

/**
 * The side under test: stowage's merged filesystem (its union tree's files) described like the export, for
 * comparison with describeExport. Files without a digest (not hashed by the read) describe as unhashed.
 */
export function describeUnion(files: Iterable<UnionFile>): Map<string, string> {
  const list = [...files].filter((f) => !isInitPath(f.path));
  const groups = new Map<number, string[]>();
  for (const f of list) if (f.inode !== undefined) groups.set(f.inode, [...(groups.get(f.inode) ?? []), f.path]);
  const out = new Map<string, string>();
  for (const f of list) {
    const links = f.inode !== undefined && groups.get(f.inode)!.length > 1 ? groups.get(f.inode)!.slice().sort() : [];
    const device = f.type === 'char' || f.type === 'block';
    out.set(f.path, describe({
      path: f.path, type: f.type, mode: f.mode, uid: f.uid, gid: f.gid, size: f.type === 'file' ? f.size : 0,
      linkTarget: f.type === 'symlink' ? f.linkTarget ?? '' : '', sha256: f.type === 'file' ? f.digest ?? 'unhashed' : '',
      mtime: f.type === 'file' || f.type === 'symlink' ? f.mtime : '',
      devMajor: device ? f.devMajor ?? 0 : '', devMinor: device ? f.devMinor ?? 0 : '',
      xattrs: Object.fromEntries(Object.entries(f.xattrs ?? {}).map(([k, v]) => [k, v.toString('hex')])),
      links,
    }));
  }
  return out;
}
