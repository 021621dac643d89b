/**
 * Docker is the oracle: layers written by GNU tar, bsdtar and Python's tarfile are packed into a
 * docker-archive, loaded into the host engine, and the container's `docker export` is listed by Python's
 * tarfile (path, type, size, mode, link target, content sha256, mtime). stowage's union of the same archive
 * must list the same. Shapes Docker refuses must be refused by stowage too (exit 4).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { indexArchiveFile } from '../../src/image/archive-source.js';
import { UnionTree, type UnionFile } from '../../src/image/union-tree.js';
import { dockerArchive } from '../support/image-archives.js';
import { docker, uniqueName } from '../support/docker-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-real-writers-engine-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { cwd: dir, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** `tool [flags] -C src -cf out top`, `make` having filled the directory src/name; returns the layer bytes. */
function layer(name: string, cmd: string, flags: string[], make: (top: string) => void, top = name): Buffer {
  const src = join(dir, `src-${name}`);
  mkdirSync(join(src, name), { recursive: true });
  make(join(src, name));
  const out = join(dir, `${name}.tar`);
  run(cmd, [...flags, '-C', src, '-cf', out, top]);
  return readFileSync(out);
}

function sparseFile(path: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.from('hello'), 0, 5, 1024 * 1024);
  writeSync(fd, Buffer.from('tail'), 0, 4, 3_145_000);
  closeSync(fd);
  truncateSync(path, 3 * 1024 * 1024);
}

/** Python's tarfile (PAX), from a JSON list of members; `globals` become a global header; `gap`: a zero block before member `gap`. */
function pythonLayer(name: string, members: { name: string; type?: string; link?: string; data?: string }[], options: { globals?: Record<string, string>; gap?: number } = {}): Buffer {
  const script = `
import tarfile, io, json, sys
members = json.loads(sys.argv[2]); glob = json.loads(sys.argv[3]); gap = int(sys.argv[4])
out = io.BytesIO()
if glob:
    out.write(tarfile.TarInfo.create_pax_global_header(glob))
for i, m in enumerate(members):
    if i == gap: out.write(b"\\0" * 512)
    ti = tarfile.TarInfo(m["name"]); ti.type = m.get("type", "0").encode(); ti.linkname = m.get("link", ""); ti.mtime = 1700000000; ti.mode = 0o755 if ti.type == b"5" else 0o644
    data = m.get("data", "").encode(); ti.size = len(data) if ti.type == b"0" else 0
    out.write(ti.tobuf(tarfile.PAX_FORMAT))
    if ti.size: out.write(data + b"\\0" * ((512 - ti.size % 512) % 512))
out.write(b"\\0" * 1024)
open(sys.argv[1], "wb").write(out.getvalue())
`;
  const out = join(dir, `${name}.tar`);
  run('python3', ['-c', script, out, JSON.stringify(members), JSON.stringify(options.globals ?? {}), String(options.gap ?? -1)]);
  return readFileSync(out);
}

interface Listed {
  type: string;
  mode: string;
  size: number;
  sha256: string;
  link: string;
  /** Regular files only: see exportedSecond. */
  second: number | null;
}

const LISTER = `
import tarfile, sys, json, hashlib
t = tarfile.open(sys.argv[1])
members = {m.name.rstrip("/"): m for m in t.getmembers()}
kinds = {tarfile.REGTYPE: "file", tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.FIFOTYPE: "fifo", tarfile.CHRTYPE: "char", tarfile.BLKTYPE: "block"}
out = {}; groups = {}
for name, m in members.items():
    src = members[m.linkname.rstrip("/")] if m.islnk() else m
    if m.islnk(): groups.setdefault(src.name, {src.name}).add(name)
    digest = hashlib.sha256(t.extractfile(src).read()).hexdigest() if src.isreg() else ""
    out[name] = {"type": kinds[src.type], "mode": oct(src.mode & 0o7777), "size": src.size if src.isreg() else 0, "sha256": digest,
                 "link": src.linkname if src.issym() else "", "second": int(src.mtime) if src.isreg() else None}
print(json.dumps({"paths": out, "groups": sorted(sorted(g) for g in groups.values())}))
`;

/** A docker-archive of `layers` tagged `tag` (unique per test: the engine is shared). */
function archiveOf(path: string, layers: Buffer[], tag: string): string {
  writeFileSync(path, dockerArchive({ layers }, (_members, manifest) => {
    manifest[0]!.RepoTags = [tag];
  }));
  return path;
}

/** What Docker's export of a container of `archive` (tagged `tag`) holds, as listed by Python's tarfile. */
async function dockerExport(archive: string, tag: string): Promise<{ paths: Record<string, Listed>; groups: string[][] }> {
  const exported = join(dir, 'exported.tar');
  let container: string | undefined;
  try {
    await docker(['load', '-i', archive]);
    container = (await docker(['create', tag, '/nothing'])).stdout.trim();
    await docker(['export', '-o', exported, container]);
    return JSON.parse(run('python3', ['-c', LISTER, exported]).toString());
  } finally {
    if (container) await docker(['rm', '-v', container], { allowFailure: true });
    await docker(['rmi', tag], { allowFailure: true });
    rmSync(exported, { force: true });
  }
}

/** Paths Docker adds to every container, not part of the image. */
const ADDED = /^(\.dockerenv|dev|proc|sys)(\/|$)|^etc\/(hostname|hosts|resolv\.conf|mtab)$/;

/**
 * The mtime as Docker's export writes it: whole seconds, and 0 for what an octal field cannot hold (before
 * 1970, from 2242 on: seen with 20.10). The exact values are checked against the writers' input files in
 * test/unit/image-real-writers.test.ts.
 */
function exportedSecond(mtime: number): number {
  const second = Math.floor(mtime);
  return second < 0 || second > 0o77777777777 ? 0 : second;
}

/** stowage's union of `archive`, in the listing's terms. */
async function stowageUnion(archive: string): Promise<{ paths: Record<string, Listed>; groups: string[][] }> {
  const tree = new UnionTree();
  for (const l of (await indexArchiveFile(archive)).layers) await tree.applyLayer(l.index, l.entries);
  const files: UnionFile[] = [...tree.files()];
  const paths: Record<string, Listed> = {};
  const byInode = new Map<number, string[]>();
  for (const f of files) {
    paths[f.path] = {
      type: f.type, mode: `0o${f.mode.toString(8)}`, size: f.size, sha256: f.digest?.replace('sha256:', '') ?? '',
      link: f.type === 'symlink' ? f.linkTarget ?? '' : '', second: f.type === 'file' ? exportedSecond(f.mtime) : null,
    };
    if (f.inode !== undefined) byInode.set(f.inode, [...(byInode.get(f.inode) ?? []), f.path]);
  }
  const groups = [...byInode.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
  return { paths, groups };
}

test('layers from GNU tar, bsdtar and Python: stowage lists what Docker exports', { timeout: 300_000 }, async () => {
  const layers = [
    layer('sparse-gnu-00', 'tar', ['--format=posix', '--sparse', '--sparse-version=0.0'], (d) => sparseFile(join(d, 'big'))),
    layer('sparse-gnu-01', 'tar', ['--format=posix', '--sparse', '--sparse-version=0.1'], (d) => sparseFile(join(d, 'big'))),
    layer('sparse-gnu-10', 'tar', ['--format=posix', '--sparse', '--sparse-version=1.0'], (d) => sparseFile(join(d, 'big'))),
    layer('sparse-bsdtar', 'bsdtar', ['--format=pax'], (d) => sparseFile(join(d, 'big'))),
    layer('v7', 'bsdtar', ['--format=v7'], (d) => {
      mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
      writeFileSync(join(d, 'sub', 'deeper', 'f'), 'under V7 directories\n');
    }),
    layer('gnu-g', 'tar', ['--format=gnu', '-G'], (d) => writeFileSync(join(d, 'top'), 'GNU header with atime and ctime\n'), 'gnu-g/top'),
    layer('neg-pax', 'tar', ['--format=posix'], (d) => {
      writeFileSync(join(d, 'old'), '1965\n');
      run('touch', ['-d', '1965-06-01 12:00:00.25 UTC', join(d, 'old')]);
    }),
    layer('neg-gnu', 'tar', ['--format=gnu'], (d) => {
      writeFileSync(join(d, 'old'), '1965\n');
      run('touch', ['-d', '1965-06-01 UTC', join(d, 'old')]);
    }),
    layer('times', 'bsdtar', ['--format=pax'], (d) => {
      writeFileSync(join(d, 'sub-second'), 'x\n');
      run('touch', ['-d', '2024-03-01 10:00:00.999999999 UTC', join(d, 'sub-second')]);
      writeFileSync(join(d, 'late'), 'y\n');
      run('touch', ['-d', '2300-01-01 UTC', join(d, 'late')]);
    }),
    pythonLayer('global-pax', [{ name: 'glob', type: '5' }, { name: 'glob/a', data: 'A' }, { name: 'glob/b', data: 'BB' }], { globals: { path: 'hijack', uid: '77', mtime: '123' } }),
    layer('links', 'tar', ['--format=gnu'], (d) => {
      symlinkSync('/etc/passwd', join(d, 's1'));
      linkSync(join(d, 's1'), join(d, 's2'));
    }),
    pythonLayer('fifo-links', [{ name: 'fifos', type: '5' }, { name: 'fifos/f1', type: '6' }, { name: 'fifos/f2', type: '1', link: 'fifos/f1' }]),
    pythonLayer('symlink-parent', [
      { name: 'etc', type: '5' }, { name: 'lnk', type: '2', link: '/etc' }, { name: 'lnk/file', data: 'through a symlink\n' },
      { name: 'd', type: '5' }, { name: 'd/sub', type: '5' }, { name: 'rel', type: '2', link: '../../d' }, { name: 'rel/sub/deeper', data: 'relative\n' },
    ]),
    Buffer.alloc(0),
  ];
  const tag = `stowage-test/${uniqueName('real-writers')}:latest`;
  const archive = archiveOf(join(dir, 'accepted.tar'), layers, tag);
  const exported = await dockerExport(archive, tag);
  for (const path of Object.keys(exported.paths)) if (ADDED.test(path)) delete exported.paths[path];
  const ours = await stowageUnion(archive);
  assert.deepEqual(Object.keys(ours.paths).sort(), Object.keys(exported.paths).sort());
  const differences = [];
  for (const [path, want] of Object.entries(exported.paths)) {
    const got = ours.paths[path]!;
    // Linux has no modes on symlinks (always 0777 there); stowage keeps the header's, which Docker ignores.
    if (want.type === 'symlink') got.mode = want.mode;
    if (JSON.stringify(got) !== JSON.stringify(want)) differences.push({ path, docker: want, stowage: got });
  }
  assert.deepEqual(differences, []);
  assert.deepEqual(ours.groups, exported.groups);
  // the shapes were really there: a sparse file, a hardlinked symlink and fifo, a file through a symlink
  assert.equal(ours.paths['sparse-gnu-00/big']!.size, 3 * 1024 * 1024);
  assert.equal(ours.paths['etc/file']!.type, 'file');
  assert.equal(ours.paths.hijack, undefined);
});

test('shapes Docker refuses to load are refused by stowage (exit 4)', { timeout: 300_000 }, async () => {
  const base = pythonLayer('refuse-base', [{ name: 'keep', data: 'k' }]);
  const cases: [string, Buffer[], RegExp][] = [
    ['lone zero block', [pythonLayer('lone-zero', [{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }], { gap: 1 })], /lone zero block/],
    ['duplicate path', [pythonLayer('duplicate', [{ name: 'a', data: 'one' }, { name: 'a', data: 'two' }])], /appears twice in one layer/],
    ['hardlink to a lower layer', [base, pythonLayer('hardlink-out', [{ name: 'x', type: '1', link: 'keep' }])], /hardlink \/x points to \/keep/],
    ['file beneath a dangling symlink', [pythonLayer('dangling', [{ name: 'lnk', type: '2', link: '/etc' }, { name: 'lnk/file', data: 'f' }])], /cannot be placed/],
    ['old GNU sparse', [layer('old-sparse', 'tar', ['--format=gnu', '--sparse'], (d) => sparseFile(join(d, 'big')))], /type 'S'/],
  ];
  for (const [name, layers, message] of cases) {
    const tag = `stowage-test/${uniqueName('real-writers-refused')}:latest`;
    const archive = archiveOf(join(dir, `refused-${name.replace(/ /g, '-')}.tar`), layers, tag);
    const loaded = await docker(['load', '-i', archive], { allowFailure: true });
    if (loaded.code === 0) await docker(['rmi', tag], { allowFailure: true });
    assert.notEqual(loaded.code, 0, `${name}: docker load accepted it`);
    // what Docker said, for the record
    console.log(`${name}: docker load: ${loaded.stderr.trim()}`);
    await assert.rejects(stowageUnion(archive), (err: Error) => {
      assert.ok(err instanceof BadInputError, `${name}: ${err.name}: ${err.message}`);
      assert.equal(err.exitCode, 4);
      assert.match(err.message, message, name);
      return true;
    });
  }
});
