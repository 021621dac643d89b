import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasGetfattr, parseGetfattr } from '../../src/host/xattrs.js';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'test', 'samples', 'images');

test('getfattr output (recorded) parses to byte-exact names and values, overlay opaque marker included', () => {
  const text = readFileSync(join(SAMPLES, 'getfattr-tree.txt')).toString('latin1');
  const [tree] = parseGetfattr(text, ['/tmp/xa/t']) as [Map<string, Record<string, Buffer>>];
  assert.deepEqual([...tree.keys()].sort(), ['bad\xe9name', 'new\nline', 'plain', 'sp ace']);
  assert.equal(tree.get('sp ace')!['trusted.overlay.opaque']!.toString(), 'y');
  assert.equal(tree.get('new\nline')!['user.note']!.toString(), 'hello world');
  assert.deepEqual(tree.get('bad\xe9name')!['user.bin'], Buffer.from([0x00, 0xff, 0x10]));
  assert.equal(tree.get('plain')!['security.capability']!.toString('hex'), '0100000200200000000000000000000000000000');
});

test('getfattr output over several roots (recorded) is split per root, a root name prefixing another included', () => {
  const text = readFileSync(join(SAMPLES, 'getfattr-trees.txt')).toString('latin1');
  const trees = parseGetfattr(text, ['/tmp/xa2/l1', '/tmp/xa2/l2', '/tmp/xa2/l10']);
  assert.equal(trees.length, 3);
  assert.deepEqual([...trees[0]!.keys()], ['f', 'd']);
  assert.equal(trees[0]!.get('d')!['trusted.overlay.opaque']!.toString(), 'y');
  assert.equal(trees[1]!.size, 0);
  assert.deepEqual([...trees[2]!.keys()], ['', 'd/h']);
  assert.equal(trees[2]!.get('d/h')!['user.b']!.toString(), 'ten');
  assert.equal(trees[2]!.get('')!['user.root']!.toString(), 'r');
});

test('getfattr is found on PATH without starting it, and missing where PATH has none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-path-'));
  try {
    assert.equal(hasGetfattr(`/nonexistent:${dir}`), false);
    writeFileSync(join(dir, 'getfattr'), '#!/bin/sh\n', { mode: 0o644 });
    assert.equal(hasGetfattr(`/nonexistent:${dir}`), false, 'not executable');
    chmodSync(join(dir, 'getfattr'), 0o755);
    assert.equal(hasGetfattr(`/nonexistent::${dir}`), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
