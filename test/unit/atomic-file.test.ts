import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hiddenTempPath, tempBeside, uniqueSuffix, writeFileAtomic, writeFileAtomicSync } from '../../src/atomic-file.js';

function withDir(fn: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-atomic-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('temporary names: hidden, beside the target, unique', () => {
  assert.match(uniqueSuffix(), new RegExp(`^${process.pid}-[0-9a-f]{8}$`));
  assert.notEqual(uniqueSuffix(), uniqueSuffix());
  assert.match(tempBeside('/d/image.tar'), new RegExp(`^/d/\\.image\\.tar\\.stowage-${process.pid}-[0-9a-f]{8}\\.tmp$`));
  assert.match(hiddenTempPath('/d', 'probe'), new RegExp(`^/d/\\.stowage-probe-${process.pid}-[0-9a-f]{8}$`));
});

test('a stream is written whole, then renamed into place', withDir(async (dir) => {
  const path = join(dir, 'out.bin');
  const bytes = await writeFileAtomic(path, (async function* () { yield Buffer.from('ab'); yield Buffer.from('cd'); })());
  assert.equal(bytes, 4);
  assert.equal(readFileSync(path, 'utf8'), 'abcd');
  assert.deepEqual(readdirSync(dir), ['out.bin'], 'no temporary left');
}));

test('a failed check or a broken stream leaves nothing at either name', withDir(async (dir) => {
  const path = join(dir, 'out.bin');
  let checked = '';
  await assert.rejects(writeFileAtomic(path, 'data', { check: async (temp) => { checked = readFileSync(temp, 'utf8'); throw new Error('differs'); } }), /differs/);
  assert.equal(checked, 'data', 'the check sees the complete temporary');
  await assert.rejects(writeFileAtomic(path, (async function* () { yield Buffer.from('half'); throw new Error('source broke'); })()), /source broke/);
  assert.deepEqual(readdirSync(dir), []);
}));

test('the sync form keeps the mode of the file it replaces, and cleans up when it cannot write', withDir((dir) => {
  const path = join(dir, 'Dockerfile');
  writeFileSync(path, 'old');
  chmodSync(path, 0o640);
  writeFileAtomicSync(path, 'new', { keepMode: true });
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.equal(statSync(path).mode & 0o777, 0o640);
  assert.throws(() => writeFileAtomicSync(join(dir, 'missing', 'x'), 'x'), /ENOENT/);
  assert.deepEqual(readdirSync(dir), ['Dockerfile']);
}));
