/**
 * Layer tars written by real writers (GNU tar, bsdtar, Python's tarfile), built at test time, read by stowage
 * and compared with what the writer archived: the source files on disk (type, size, content sha256, mtime).
 * Where the question is what Docker does with a shape, test/engine/image-real-writers.test.ts asks Docker.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, linkSync, openSync, writeSync, closeSync, truncateSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { readLayerEntries } from '../../src/image/layer-index.js';
import { readTar } from '../../src/image/tar-reader.js';
import { headerForEntry, tarBuffer } from '../../src/image/tar-writer.js';
import { indexArchiveFile } from '../../src/image/archive-source.js';
import { UnionTree } from '../../src/image/union-tree.js';
import { flattenImage } from '../../src/flatten/flatten-image.js';
import { dockerArchive } from '../support/image-archives.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-real-writers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd = dir): Buffer {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Seen {
  type: string;
  size: number;
  sha256?: string | undefined;
  link?: string | undefined;
  /** Whole seconds, as `Math.floor` of the exact time. */
  second: number;
}

/** What stowage reads from a layer tar: path → type, size, content digest, whole-second mtime. */
async function stowageReads(tar: string): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  for await (const e of readLayerEntries(createReadStream(tar) as AsyncIterable<Buffer>, tar, { hashContent: 'sha256' })) {
    out.set(e.path, { type: e.type, size: e.size, sha256: e.digest?.replace('sha256:', ''), link: e.linkTarget, second: Math.floor(e.mtime) });
  }
  return out;
}

/** The oracle: the files the writer archived, walked with lstat (exact nanosecond mtimes, floored to seconds). */
function sourceTree(root: string, prefix = ''): Map<string, Seen> {
  const out = new Map<string, Seen>();
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const full = join(root, rel);
    const st = lstatSync(full, { bigint: true });
    const second = Number(st.mtimeNs / 1_000_000_000n - (st.mtimeNs < 0n && st.mtimeNs % 1_000_000_000n !== 0n ? 1n : 0n));
    if (st.isDirectory()) {
      out.set(rel, { type: 'dir', size: 0, second });
      for (const [k, v] of sourceTree(root, rel)) out.set(k, v);
    } else if (st.isSymbolicLink()) out.set(rel, { type: 'symlink', size: 0, link: readlinkSync(full), second });
    else if (st.isFIFO()) out.set(rel, { type: 'fifo', size: 0, second });
    else {
      const data = readFileSync(full);
      out.set(rel, { type: 'file', size: data.length, sha256: sha(data), second });
    }
  }
  return out;
}

function compareTrees(got: Map<string, Seen>, want: Map<string, Seen>, what: string, options: { dirTimes?: boolean } = {}): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: paths`);
  for (const [path, w] of want) {
    const g = got.get(path)!;
    const strip = (s: Seen) => ({ type: s.type, size: s.size, sha256: s.sha256, second: s.type === 'dir' && !options.dirTimes ? 0 : s.second, link: s.type === 'symlink' ? s.link : undefined });
    assert.deepEqual(strip(g), strip(w), `${what}: ${path}`);
  }
}

/** A 3 MiB file with two small data islands and holes around them. */
function sparseFile(path: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.from('hello'), 0, 5, 1024 * 1024);
  writeSync(fd, Buffer.from('tail'), 0, 4, 3_145_000);
  closeSync(fd);
  truncateSync(path, 3 * 1024 * 1024);
}

test('sparse files (GNU tar posix 0.0, 0.1, 1.0; bsdtar pax) read as the real file, holes as zeros', async () => {
  const src = join(dir, 'sparse-src');
  mkdirSync(join(src, 'opt'), { recursive: true });
  sparseFile(join(src, 'opt', 'big'));
  writeFileSync(join(src, 'opt', 'small'), 'not sparse');
  // 200 data islands: the 1.0 map spans several blocks, old GNU headers need extension blocks
  const fd = openSync(join(src, 'opt', 'islands'), 'w');
  for (let i = 0; i < 200; i++) writeSync(fd, Buffer.from(`island ${i}`), 0, `island ${i}`.length, i * 65536 + 100);
  closeSync(fd);
  truncateSync(join(src, 'opt', 'islands'), 200 * 65536 + 7);
  const want = sourceTree(src);
  const tars: [string, string[]][] = [
    ['gnu-0.0', ['tar', '--format=posix', '--sparse', '--sparse-version=0.0']],
    ['gnu-0.1', ['tar', '--format=posix', '--sparse', '--sparse-version=0.1']],
    ['gnu-1.0', ['tar', '--format=posix', '--sparse', '--sparse-version=1.0']],
    ['bsdtar-pax', ['bsdtar', '--format=pax']],
  ];
  for (const [name, [cmd, ...flags]] of tars) {
    const tar = join(dir, `sparse-${name}.tar`);
    run(cmd!, [...flags, '-C', src, '-cf', tar, 'opt']);
    // the writer did write a sparse entry (else this test would prove nothing)
    assert.ok(readFileSync(tar).includes('GNU.sparse'), `${name} wrote no sparse entry`);
    compareTrees(await stowageReads(tar), want, name);
  }
});

test('old GNU sparse entries (type S) are read, then refused as Docker refuses them', async () => {
  const src = join(dir, 'oldsparse-src');
  mkdirSync(src);
  sparseFile(join(src, 'big'));
  const tar = join(dir, 'oldsparse.tar');
  const fd = openSync(join(src, 'islands'), 'w');
  for (let i = 0; i < 200; i++) writeSync(fd, Buffer.from(`island ${i}`), 0, `island ${i}`.length, i * 65536 + 100);
  closeSync(fd);
  truncateSync(join(src, 'islands'), 200 * 65536 + 7);
  run('tar', ['--format=gnu', '--sparse', '-C', src, '-cf', tar, 'big', 'islands']);
  const headers = [];
  for await (const { header, body } of readTar(createReadStream(tar) as AsyncIterable<Buffer>, tar)) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    headers.push({ name: header.name, typeflag: header.typeflag, size: header.size, sha256: sha(Buffer.concat(parts)) });
  }
  assert.deepEqual(headers, [
    { name: 'big', typeflag: 'S', size: 3 * 1024 * 1024, sha256: sha(readFileSync(join(src, 'big'))) },
    { name: 'islands', typeflag: 'S', size: 200 * 65536 + 7, sha256: sha(readFileSync(join(src, 'islands'))) },
  ]);
  await assert.rejects(stowageReads(tar), (err: Error) => err instanceof BadInputError && /type 'S'.*unhandled tar header type 83/.test(err.message));
});

test('V7 directories (bsdtar --format=v7: typeflag NUL, name ending in /) are directories', async () => {
  const src = join(dir, 'v7-src');
  mkdirSync(join(src, 'd', 'sub'), { recursive: true });
  writeFileSync(join(src, 'd', 'sub', 'f'), 'under a v7 dir');
  writeFileSync(join(src, 'top'), 'top');
  const tar = join(dir, 'v7.tar');
  run('bsdtar', ['--format=v7', '-C', src, '-cf', tar, 'd', 'top']);
  assert.equal(readFileSync(tar)[156], 0, 'bsdtar wrote a V7 typeflag');
  compareTrees(await stowageReads(tar), sourceTree(src), 'v7', { dirTimes: true });
});

test('GNU headers with atime and ctime (tar --format=gnu -G): no name prefix taken from them', async () => {
  const src = join(dir, 'gnu-g-src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  writeFileSync(join(src, 'dir', 'top'), 'x\n');
  const tar = join(dir, 'gnu-g.tar');
  run('tar', ['--format=gnu', '-G', '-C', src, '-cf', tar, 'dir/top']);
  assert.notEqual(readFileSync(tar)[345], 0, 'GNU tar wrote an atime');
  const got = await stowageReads(tar);
  assert.deepEqual([...got.keys()], ['dir/top']);
  const want = sourceTree(src).get('dir/top')!;
  assert.deepEqual(got.get('dir/top'), { ...want, link: undefined, sha256: want.sha256 });
});

test('negative mtimes (GNU tar posix: PAX; GNU tar gnu: base-256) read as the file had them', async () => {
  const src = join(dir, 'neg-src');
  mkdirSync(src);
  writeFileSync(join(src, 'old'), 'from 1965\n');
  run('touch', ['-d', '1965-06-01 12:00:00.25 UTC', join(src, 'old')]);
  const want = sourceTree(src);
  assert.ok(want.get('old')!.second < 0);
  for (const format of ['posix', 'gnu']) {
    const tar = join(dir, `neg-${format}.tar`);
    run('tar', [`--format=${format}`, '-C', src, '-cf', tar, 'old']);
    compareTrees(await stowageReads(tar), want, format);
  }
});

test('sub-second and year-2300 mtimes: read exactly, written back exactly (Python tarfile reads the same), and flatten verifies them', async () => {
  const src = join(dir, 'times-src');
  mkdirSync(join(src, 'app'), { recursive: true });
  writeFileSync(join(src, 'app', 'now'), 'sub-second\n');
  run('touch', ['-d', '2024-03-01 10:00:00.123456789 UTC', join(src, 'app', 'now')]);
  writeFileSync(join(src, 'app', 'late'), 'far future\n');
  run('touch', ['-d', '2300-01-01 00:00:00 UTC', join(src, 'app', 'late')]);
  writeFileSync(join(src, 'app', 'early'), 'before 1970\n');
  utimesSync(join(src, 'app', 'early'), -1.5, -1.5);
  const layers: Buffer[] = [];
  for (const [cmd, ...flags] of [['tar', '--format=posix'], ['bsdtar', '--format=pax']]) {
    const tar = join(dir, `times-${cmd}.tar`);
    run(cmd!, [...flags, '-C', src, '-cf', tar, 'app']);
    const got = await stowageReads(tar);
    compareTrees(got, sourceTree(src), cmd!);
    layers.push(readFileSync(tar));
  }
  // stowage's writer keeps what it read: Python's tarfile reads the same times from it (to the microsecond)
  const entries = [];
  for await (const e of readLayerEntries((async function* () { yield layers[0]!; })(), 'times')) {
    const parts: Buffer[] = [];
    for await (const c of e.body ?? []) parts.push(c);
    entries.push({ header: headerForEntry(e), content: e.type === 'file' ? Buffer.concat(parts) : undefined, mtime: e.mtime, path: e.path });
  }
  const written = join(dir, 'times-rewritten.tar');
  writeFileSync(written, tarBuffer(entries));
  const python = JSON.parse(run('python3', ['-c', 'import tarfile,sys,json; print(json.dumps({m.name.rstrip("/"): m.mtime for m in tarfile.open(sys.argv[1])}))', written]).toString()) as Record<string, number>;
  for (const e of entries) assert.ok(Math.abs(python[e.path]! - e.mtime) < 1e-6, `${e.path}: python ${python[e.path]} stowage ${e.mtime}`);
  assert.equal(Math.floor(python['app/late']!), Date.UTC(2300, 0, 1) / 1000);
  // flatten of an image whose layers carry such times verifies (it exited 70 before)
  const input = join(dir, 'times-image.tar');
  writeFileSync(input, dockerArchive({ layers }));
  const out = join(dir, 'times-flat.tar');
  const result = await flattenImage({ reference: input, output: { kind: 'docker-archive', path: out, tag: 'real-writers/times:flat' } });
  assert.equal(result.output.layers, 1);
  assert.equal(result.verification.verified, true);
  const flat = new UnionTree();
  for (const l of (await indexArchiveFile(out)).layers) await flat.applyLayer(l.index, l.entries);
  const byPath = new Map([...flat.files()].map((f) => [f.path, f]));
  const want = sourceTree(src);
  for (const name of ['app/now', 'app/late', 'app/early']) assert.equal(Math.floor(byPath.get(name)!.mtime), want.get(name)!.second, name);
});

/** Python's tarfile, from a JSON list of members; `gap` inserts one zero block before member `gap`. */
function pythonTar(path: string, members: { name: string; type?: string; link?: string; data?: string }[], gap?: number): void {
  const script = `
import tarfile, io, json, sys
members = json.loads(sys.argv[2]); gap = int(sys.argv[3])
out = io.BytesIO()
for i, m in enumerate(members):
    if i == gap: out.write(b"\\0" * 512)
    ti = tarfile.TarInfo(m["name"]); ti.type = m.get("type", "0").encode(); ti.linkname = m.get("link", "")
    data = m.get("data", "").encode(); ti.size = len(data) if ti.type == b"0" else 0
    out.write(ti.tobuf(tarfile.PAX_FORMAT))
    if ti.size: out.write(data + b"\\0" * ((512 - ti.size % 512) % 512))
out.write(b"\\0" * 1024)
open(sys.argv[1], "wb").write(out.getvalue())
`;
  run('python3', ['-c', script, path, JSON.stringify(members), String(gap ?? -1)]);
}

test('refused as Docker refuses them: a lone zero block before more entries, a path twice in one layer, a hardlink to what the layer does not hold, a file beneath a dangling symlink', async () => {
  const cases: [string, Parameters<typeof pythonTar>[1], number | undefined, RegExp][] = [
    ['lone-zero', [{ name: 'a', data: 'a' }, { name: 'b', data: 'b' }], 1, /lone zero block at byte 1024 is followed by more data/],
    ['duplicate', [{ name: 'a', data: 'one' }, { name: './a', data: 'two' }], undefined, /"a" appears twice in one layer.*duplicates of file paths not supported/],
    ['hardlink-out', [{ name: 'x', type: '1', link: 'keep' }], undefined, /hardlink \/x points to \/keep, which this layer does not hold before it.*link \/keep \/x: no such file or directory/],
    ['hardlink-later', [{ name: 'x', type: '1', link: 'y' }, { name: 'y', data: 'y' }], undefined, /hardlink \/x points to \/y, which this layer does not hold before it/],
    ['dangling-parent', [{ name: 'lnk', type: '2', link: '/etc' }, { name: 'lnk/file', data: 'f' }], undefined, /\/lnk\/file at byte \d+ cannot be placed: \/etc does not exist in this layer/],
    ['file-parent', [{ name: 'f', data: 'f' }, { name: 'f/g', data: 'g' }], undefined, /\/f\/g at byte \d+ cannot be placed: \/f is not a directory/],
  ];
  for (const [name, members, gap, message] of cases) {
    const tar = join(dir, `refused-${name}.tar`);
    pythonTar(tar, members, gap);
    await assert.rejects(stowageReads(tar), (err: Error) => {
      assert.ok(err instanceof BadInputError, `${name}: ${err.name}: ${err.message}`);
      assert.match(err.message, message, name);
      return true;
    });
  }
});

test('a symlink of the layer used as a parent is followed (lnk -> /etc, lnk/file is etc/file), as Docker applies it', async () => {
  const tar = join(dir, 'symparent.tar');
  pythonTar(tar, [
    { name: 'etc', type: '5' }, { name: 'lnk', type: '2', link: '/etc' }, { name: 'lnk/file', data: 'hello' },
    { name: 'd', type: '5' }, { name: 'rel', type: '2', link: '../../d' }, { name: 'rel/sub/deeper', data: 'x' },
  ]);
  const got = await stowageReads(tar);
  assert.deepEqual([...got.keys()], ['etc', 'lnk', 'etc/file', 'd', 'rel', 'd/sub/deeper']);
});

test('an empty layer blob (0 bytes) is an empty layer, as docker load takes it', async () => {
  const input = join(dir, 'empty-layer.tar');
  const base = readFileSync(join(dir, 'v7.tar'));
  writeFileSync(input, dockerArchive({ layers: [base, Buffer.alloc(0)] }));
  const image = await indexArchiveFile(input);
  assert.equal(image.layers.length, 2);
  assert.deepEqual(image.layers[1]!.entries, []);
  assert.equal(image.layers[1]!.diffId, `sha256:${sha(Buffer.alloc(0))}`);
});

test('a hardlink to a symlink (GNU tar) or a fifo (Python) shares its inode in the union', async () => {
  const src = join(dir, 'links-src');
  mkdirSync(src);
  symlinkSync('/etc/passwd', join(src, 's1'));
  linkSync(join(src, 's1'), join(src, 's2'));
  const gnu = join(dir, 'links.tar');
  run('tar', ['--format=gnu', '-C', src, '-cf', gnu, 's1', 's2']);
  const python = join(dir, 'links-fifo.tar');
  pythonTar(python, [{ name: 'f1', type: '6' }, { name: 'f2', type: '1', link: 'f1' }]);
  const tree = new UnionTree();
  const entries = [];
  for (const tar of [python, gnu]) {
    for await (const e of readLayerEntries(createReadStream(tar) as AsyncIterable<Buffer>, tar)) entries.push(e);
  }
  assert.deepEqual(entries.map((e) => e.type), ['fifo', 'hardlink', 'symlink', 'hardlink']);
  await tree.applyLayer(0, entries);
  const files = [...tree.files()];
  assert.deepEqual(files.map((f) => [f.path, f.type, f.linkTarget]), [['f1', 'fifo', undefined], ['f2', 'fifo', undefined], ['s1', 'symlink', '/etc/passwd'], ['s2', 'symlink', '/etc/passwd']]);
  assert.notEqual(files[0]!.inode, undefined);
  assert.equal(files[0]!.inode, files[1]!.inode);
  assert.equal(files[2]!.inode, files[3]!.inode);
  // flatten keeps both groups (the first path written as itself, the second as a link to it) and verifies
  const input = join(dir, 'links-image.tar');
  writeFileSync(input, dockerArchive({ layers: [readFileSync(python), readFileSync(gnu)] }));
  const out = join(dir, 'links-flat.tar');
  const result = await flattenImage({ reference: input, output: { kind: 'docker-archive', path: out, tag: 'real-writers/links:flat' } });
  assert.equal(result.verification.verified, true);
  assert.equal(result.squashedLayer.hardlinks, 2);
  const flat = new UnionTree();
  for (const l of (await indexArchiveFile(out)).layers) await flat.applyLayer(l.index, l.entries);
  const again = [...flat.files()];
  assert.deepEqual(again.map((f) => [f.path, f.type, f.linkTarget]), files.map((f) => [f.path, f.type, f.linkTarget]));
  assert.equal(again[0]!.inode, again[1]!.inode);
  assert.equal(again[2]!.inode, again[3]!.inode);
});
