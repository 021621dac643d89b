import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerEntry } from '../../src/image/layer-entry.js';
import { UnionTree, type Inode, type RemovalReason } from '../../src/image/union-tree.js';

const f = (path: string, size: number, digest = `sha256:${path}-${size}`, extra: Partial<LayerEntry> = {}): LayerEntry =>
  ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: 0, digest, ...extra });
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, ...extra });
const wh = (path: string): LayerEntry => ({ path, type: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
const opq = (path: string): LayerEntry => ({ path, type: 'opaque', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
const ln = (path: string, target: string): LayerEntry => ({ path, type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkTarget: target });

function build(layers: LayerEntry[][]) {
  const released: [number, string, number, RemovalReason][] = [];
  const tree = new UnionTree({ released: (layer, path, inode: Inode, reason) => released.push([layer, path, inode.entry.size, reason]) });
  layers.forEach((entries, i) => entries.forEach((e) => tree.apply(i, e)));
  return { tree, released, paths: [...tree.files()].map((x) => x.path) };
}

test('whiteouts hide lower paths, including whole directories', () => {
  const { paths, released } = build([
    [d('a'), f('a/x', 10), d('a/sub'), f('a/sub/y', 20), f('keep', 5)],
    [wh('a/sub'), wh('keep'), wh('never-existed')],
  ]);
  assert.deepEqual(paths, ['a', 'a/x']);
  assert.deepEqual(released.map((r) => [r[1], r[2], r[3]]).sort(), [['a/sub/y', 20, 'whiteout'], ['keep', 5, 'whiteout']]);
});

test('an opaque directory hides only lower content, whether its marker comes before or after the new entries', () => {
  for (const order of ['marker-first', 'marker-last']) {
    const upper = order === 'marker-first' ? [d('a'), opq('a'), f('a/new', 1)] : [d('a'), f('a/new', 1), opq('a')];
    const { paths, released } = build([[d('a'), f('a/old', 7), d('a/dir'), f('a/dir/z', 3)], upper]);
    assert.deepEqual(paths, ['a', 'a/new'], order);
    assert.equal(released.reduce((s, r) => s + r[2], 0), 10, order);
  }
});

test('hardlinks share an inode: bytes are released only when the last link goes (N-1 copies)', () => {
  const { tree, released } = build([
    [f('a', 100), ln('b', 'a')],
    [wh('a')],
    [f('b', 100, 'sha256:other')],
  ]);
  assert.deepEqual(released, [[2, 'b', 100, 'overwritten']]);
  const files = [...tree.files()];
  assert.deepEqual(files.map((x) => [x.path, x.layer]), [['b', 2]]);
});

test('a hardlink across layers links the copied-up file; the old link keeps the lower inode', () => {
  const { tree, released } = build([
    [f('x', 3, 'sha256:hi'), ln('x-link', 'x')],
    [f('x', 3, 'sha256:hi'), ln('x-link2', 'x')],
  ]);
  const files = [...tree.files()];
  const inode = Object.fromEntries(files.map((x) => [x.path, x.inode]));
  assert.equal(inode['x'], inode['x-link2']);
  assert.notEqual(inode['x'], inode['x-link']);
  assert.deepEqual(released, []);
});

test('re-emitted parent directories keep their children; a file replacing a directory releases its subtree', () => {
  const { paths, released } = build([
    [d('etc'), f('etc/a', 1), d('var'), f('var/log', 50)],
    [d('etc', { mode: 0o700 }), f('etc/b', 2), f('var', 9)],
  ]);
  assert.deepEqual(paths, ['etc', 'etc/a', 'etc/b', 'var']);
  assert.deepEqual(released.map((r) => [r[1], r[3]]), [['var/log', 'overwritten']]);
});

test('entries whose parents are missing get 0755 root directories, as Docker creates them', () => {
  const { tree } = build([[f('a/b/c', 1)]]);
  const a = [...tree.files()].find((x) => x.path === 'a')!;
  assert.deepEqual([a.type, a.mode, a.uid], ['dir', 0o755, 0]);
});
