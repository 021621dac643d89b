import { test } from 'node:test';
import assert from 'node:assert/strict';
import { squashImage } from '../../src/flatten/squash.js';
import { canonicalUnion, compareUnions } from '../../src/flatten/union-compare.js';
import { assembleImage, type ImageIndex } from '../../src/image/image-index.js';
import { entriesFromTar, type LayerEntry } from '../../src/image/layer-entry.js';
import { readTar } from '../../src/image/tar-reader.js';
import { headerForEntry, tarBuffer } from '../../src/image/tar-writer.js';
import { UnionTree } from '../../src/image/union-tree.js';

const f = (path: string, content: string, extra: Partial<LayerEntry> = {}): LayerEntry =>
  ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 1000, digest: `sha256:${content}`, ...extra });
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1000, ...extra });
const wh = (path: string): LayerEntry => ({ path, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
const opq = (path: string): LayerEntry => ({ path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
const ln = (path: string, target: string): LayerEntry => ({ path, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1000, linkTarget: target });
const sym = (path: string, target: string): LayerEntry => ({ path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1000, linkTarget: target });

function imageOf(layers: LayerEntry[][]): ImageIndex {
  return assembleImage({ kind: 'docker-archive', reference: 'test' }, 'sha256:x', [], {}, layers.map((entries, i) => ({
    diffId: `sha256:layer${i}`, tarBytes: 0, compression: 'none' as const, storedBytes: 0, storedDigest: `sha256:layer${i}`, entries,
  })));
}

/** The squashed layer written as a tar and read back, as Docker would receive it. */
async function readBackAsync(entries: LayerEntry[]): Promise<LayerEntry[]> {
  const tar = tarBuffer(entries.map((e) => ({ header: headerForEntry(e), content: e.type === 'file' ? Buffer.alloc(e.size) : undefined })));
  const digests = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, e.digest]));
  const out: LayerEntry[] = [];
  for await (const e of entriesFromTar(readTar((async function* () { yield tar; })(), 'squashed'), 'squashed')) {
    delete e.body;
    delete (e as { offset?: number }).offset;
    if (e.type === 'file') e.digest = digests.get(e.path);
    out.push(e);
  }
  return out;
}

/** Applies the kept layers and the squashed one (through a tar round trip) and compares with the whole image. */
async function assertEquivalent(layers: LayerEntry[][], keep: number, label = ''): Promise<ReturnType<typeof squashImage>> {
  const image = imageOf(layers);
  const squash = squashImage(image, keep);
  for (const e of squash.layer.entries) {
    if (e.type === 'hardlink') {
      const target = squash.layer.entries.findIndex((x) => x.path === e.linkTarget && x.type === 'file');
      assert.ok(target >= 0 && target < squash.layer.entries.indexOf(e), `${label} hardlink ${e.path} points inside the layer, to an earlier file`);
    }
  }
  const rebuilt = new UnionTree();
  for (let i = 0; i < keep; i++) for (const e of layers[i]!) rebuilt.apply(i, e);
  for (const e of await readBackAsync(squash.layer.entries)) rebuilt.apply(keep, e);
  const diff = compareUnions(canonicalUnion(squash.full), canonicalUnion(rebuilt));
  assert.deepEqual(diff.first, [], `${label} keep=${keep}: union differs`);
  return squash;
}

test('all-in-one: deleted files vanish, chown copies collapse to the final file, no whiteouts remain', async () => {
  const layers = [
    [d('app'), f('app/a', 'AAAA'), f('app/b', 'BB'), f('tmp.bin', 'junk')],
    [d('app', { uid: 1000 }), f('app/a', 'AAAA', { uid: 1000 }), f('app/b', 'BB', { uid: 1000 })],
    [wh('tmp.bin')],
  ];
  const s = await assertEquivalent(layers, 0);
  assert.deepEqual(s.layer.entries.map((e) => [e.path, e.type, e.uid]), [['app', 'dir', 1000], ['app/a', 'file', 1000], ['app/b', 'file', 1000]]);
  assert.equal(s.layer.bytes, 6);
  assert.equal(s.layer.whiteouts, 0);
});

test('a whiteout that still hides a file of a kept layer stays, with its parent directory', async () => {
  const layers = [
    [d('etc', { mode: 0o750 }), f('etc/old', 'x'), f('etc/keep', 'k')],
    [f('new', 'n')],
    [wh('etc/old')],
  ];
  const s = await assertEquivalent(layers, 1);
  assert.deepEqual(s.layer.entries.map((e) => [e.path, e.type]), [['etc', 'dir'], ['etc/old', 'whiteout'], ['new', 'file']]);
  assert.equal(s.layer.entries[0]!.mode, 0o750, 'the parent keeps its final mode');
  // a file created and deleted above the kept layers needs no whiteout
  const t = await assertEquivalent([[f('base', 'b')], [f('tmp', 't')], [wh('tmp')]], 1);
  assert.deepEqual(t.layer.entries, []);
});

test('a directory deleted and re-created becomes one opaque directory; partly kept ones get whiteouts', async () => {
  const layers = [
    [d('data'), d('data/keep'), f('data/keep/k', 'kk'), f('data/keep/k2', 'k2'), f('data/other', 'o')],
    [wh('data/keep')],
    [d('data/keep'), opq('data/keep'), f('data/keep/n', 'new')],
  ];
  const s = await assertEquivalent(layers, 1);
  assert.deepEqual(s.layer.entries.map((e) => [e.path, e.type]), [['data', 'dir'], ['data/keep', 'dir'], ['data/keep', 'opaque'], ['data/keep/n', 'file']]);
  assert.equal(s.layer.opaques, 1);
  const partial = await assertEquivalent([[d('a'), f('a/x', '1'), f('a/y', '2')], [wh('a/x'), f('a/z', '3')]], 1);
  assert.deepEqual(partial.layer.entries.map((e) => [e.path, e.type]), [['a', 'dir'], ['a/x', 'whiteout'], ['a/z', 'file']]);
});

test('hardlinks: the first path carries the content, the others link to it inside the layer', async () => {
  const layers = [
    [f('x', 'hello'), ln('y', 'x')],
    [wh('x')],
    [f('z', 'zz'), ln('a-link', 'z')],
  ];
  const s = await assertEquivalent(layers, 0);
  assert.deepEqual(s.layer.entries.map((e) => [e.path, e.type, e.linkTarget ?? '']), [['a-link', 'file', ''], ['y', 'file', ''], ['z', 'hardlink', 'a-link']]);
  // a link to a file of a kept layer is written as a linked pair in the new layer when the file was copied up
  await assertEquivalent([[f('bin/tool', 'T')], [f('bin/tool', 'T'), ln('bin/alias', 'bin/tool')]], 1);
});

test('xattrs are copied byte for byte; symlinks, devices and modes survive', async () => {
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const layers = [
    [f('opt/ping', 'p', { xattrs: { 'security.capability': cap } }), sym('opt/p', 'ping')],
    [{ path: 'dev/null', type: 'char' as const, mode: 0o666, uid: 0, gid: 0, size: 0, mtime: 1000, devMajor: 1, devMinor: 3 }, f('suid', 's', { mode: 0o4755 })],
  ];
  const s = await assertEquivalent(layers, 0);
  const ping = s.layer.entries.find((e) => e.path === 'opt/ping')!;
  assert.ok(ping.xattrs?.['security.capability']?.equals(cap));
});

test('random layer stacks: kept layers plus the squashed one always equal the whole image', async () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const names = ['a', 'b', 'c'];
  const paths = ['a', 'b', 'a/a', 'a/b', 'b/a', 'a/a/c', 'c'];
  let checked = 0;
  for (let round = 0; round < 150; round++) {
    const layers: LayerEntry[][] = [];
    const depth = 2 + rand(4);
    for (let l = 0; l < depth; l++) {
      const entries: LayerEntry[] = [];
      const used = new Set<string>();
      const files: string[] = [];
      for (let k = 0; k < 1 + rand(5); k++) {
        const p = paths[rand(paths.length)]!;
        if (used.has(p) || [...used].some((u) => p.startsWith(`${u}/`) || u.startsWith(`${p}/`))) continue;
        used.add(p);
        switch (rand(6)) {
          case 0: entries.push(d(p, { uid: rand(2) })); break;
          case 1: entries.push(wh(p)); break;
          case 2: entries.push(d(p), opq(p), f(`${p}/${names[rand(3)]}`, `o${rand(3)}`)); used.add(`${p}/x`); break;
          case 3:
            if (files.length) entries.push(ln(p, files[rand(files.length)]!));
            else entries.push(sym(p, 'target'));
            break;
          default:
            entries.push(f(p, `c${rand(3)}`, { uid: rand(2) }));
            files.push(p);
        }
      }
      layers.push(entries);
    }
    for (let keep = 0; keep < depth; keep++) {
      try {
        await assertEquivalent(layers, keep, `round ${round}`);
        checked++;
      } catch (err) {
        if ((err as Error).name === 'BadInputError') break; // a generated link into a path that did not survive
        throw err;
      }
    }
  }
  assert.ok(checked > 300, `only ${checked} stacks checked`);
});

test('verification notices a different version, a lost xattr, a split hardlink pair and a missing path', () => {
  const base = [f('a', 'one'), ln('b', 'a'), f('c', 'cap', { xattrs: { 'security.capability': Buffer.from([1, 2]) } }), d('dir')];
  const union = (entries: LayerEntry[]) => {
    const t = new UnionTree();
    entries.forEach((e) => t.apply(0, e));
    return canonicalUnion(t);
  };
  const expected = union(base);
  assert.equal(compareUnions(expected, union(base)).count, 0);
  const variants: [string, LayerEntry[]][] = [
    ['content', [f('a', 'two'), ln('b', 'a'), base[2]!, base[3]!]],
    ['xattr', [base[0]!, base[1]!, f('c', 'cap'), base[3]!]],
    ['hardlink', [base[0]!, f('b', 'one'), base[2]!, base[3]!]],
    ['missing', [base[0]!, base[1]!, base[2]!]],
    ['mode', [base[0]!, base[1]!, base[2]!, d('dir', { mode: 0o700 })]],
  ];
  for (const [what, entries] of variants) assert.ok(compareUnions(expected, union(entries)).count > 0, what);
});
