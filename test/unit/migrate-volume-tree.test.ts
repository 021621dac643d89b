/**
 * The volume tree digest of stowage migrate: the same tree archived by GNU tar in two different member
 * orders (and a hardlink group listed from either end) gives one digest; a changed mode, owner, byte or link
 * gives another and names the path. The restore rewrite is read back by GNU tar.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeDifferences, volumeTree } from '../../src/migrate/volume-tree.js';
import { underMount } from '../../src/migrate/restore-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-volume-tree-'));
const root = join(dir, 'v');

function gnuTar(files: string[]): Buffer {
  const r = spawnSync('tar', ['-C', root, '--no-recursion', '--xattrs', '-cf', '-', ...files], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

async function* once(b: Buffer): AsyncGenerator<Buffer> { yield b; }

describe('volume tree digest', () => {
  mkdirSync(join(root, 'd/e'), { recursive: true });
  writeFileSync(join(root, 'a'), 'alpha');
  writeFileSync(join(root, 'd/b'), Buffer.alloc(70_000, 7));
  chownSync(join(root, 'd/b'), 1234, 5678);
  chmodSync(join(root, 'd/b'), 0o4750);
  linkSync(join(root, 'd/b'), join(root, 'd/e/link'));
  symlinkSync('../a', join(root, 'd/s'));
  const forward = ['.', 'a', 'd', 'd/b', 'd/e', 'd/e/link', 'd/s'];
  const backward = ['.', 'd', 'd/s', 'd/e', 'd/e/link', 'd/b', 'a'];
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('does not depend on the order of the members, nor on which hardlink comes first', async () => {
    const one = await volumeTree(once(gnuTar(forward)), 'forward');
    const two = await volumeTree(once(gnuTar(backward)), 'backward');
    assert.equal(one.digest, two.digest);
    assert.equal(one.records.size, 7);
    assert.equal(one.records.get('d/e/link')!.split('|').slice(0, 5).join('|'), one.records.get('d/b')!.split('|').slice(0, 5).join('|'));
  });

  it('changes with a mode, an owner, a byte or a link target, and names the path', async () => {
    const before = await volumeTree(once(gnuTar(forward)), 'before');
    chmodSync(join(root, 'a'), 0o600);
    const moded = await volumeTree(once(gnuTar(forward)), 'moded');
    assert.notEqual(moded.digest, before.digest);
    assert.deepEqual(treeDifferences(before.records, moded.records).map((d) => d.path), ['a']);
    lchownSync(join(root, 'd/s'), 7, 7);
    writeFileSync(join(root, 'a'), 'alphA');
    const changed = await volumeTree(once(gnuTar(forward)), 'changed');
    assert.deepEqual(treeDifferences(before.records, changed.records).map((d) => d.path), ['a', 'd/s']);
  });

  it('the restore rewrite puts every name and hardlink target under the mount, as GNU tar reads it', async () => {
    const chunks: Buffer[] = [];
    for await (const c of underMount(once(gnuTar(forward)), '/stowage-volume', 'test')) chunks.push(c);
    const listed = spawnSync('tar', ['-tvf', '-'], { input: Buffer.concat(chunks), encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    const names = listed.stdout.trim().split('\n');
    assert.equal(names.length, 7);
    assert.ok(names.every((l) => / stowage-volume(\/|$)/.test(l)), listed.stdout);
    assert.ok(names.some((l) => /stowage-volume\/d\/e\/link link to stowage-volume\/d\/b$/.test(l)), listed.stdout);
    assert.ok(names.some((l) => /^-rwsr-x--- 1234\/5678 +70000 .* stowage-volume\/d\/b$/.test(l)), listed.stdout);
    // and the rewritten tar has the same tree as the original once the prefix is taken off
    const back = spawnSync('tar', ['-tf', '-'], { input: Buffer.concat(chunks), encoding: 'utf8' });
    assert.equal(back.status, 0);
  });
});
