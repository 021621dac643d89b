import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGetfattr } from '../../src/host/xattrs.js';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'test', 'samples', 'images');

test('getfattr output (recorded) parses to byte-exact names and values, overlay opaque marker included', () => {
  const text = readFileSync(join(SAMPLES, 'getfattr-tree.txt')).toString('latin1');
  const tree = parseGetfattr(text, '/tmp/xa/t');
  assert.deepEqual([...tree.keys()].sort(), ['bad\xe9name', 'new\nline', 'plain', 'sp ace']);
  assert.equal(tree.get('sp ace')!['trusted.overlay.opaque']!.toString(), 'y');
  assert.equal(tree.get('new\nline')!['user.note']!.toString(), 'hello world');
  assert.deepEqual(tree.get('bad\xe9name')!['user.bin'], Buffer.from([0x00, 0xff, 0x10]));
  assert.equal(tree.get('plain')!['security.capability']!.toString('hex'), '0100000200200000000000000000000000000000');
});
