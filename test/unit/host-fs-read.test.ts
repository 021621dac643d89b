import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveHostFs } from '../../src/host/host-fs.js';

test('liveHostFs.readText reads /proc files whole, as cat does', () => {
  for (const path of ['/proc/cpuinfo', '/proc/version', '/proc/filesystems']) {
    assert.equal(liveHostFs.readText(path), execFileSync('cat', [path], { encoding: 'utf8' }), path);
  }
});

test('liveHostFs.readText grows its buffer for a file larger than it, UTF-8 split across the boundary included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-hostfs-'));
  try {
    // 3-byte characters, so that some fall across every 64 kB boundary; then a short file after the long one
    const long = `${'é€'.repeat(60_000)}end\n`;
    writeFileSync(join(dir, 'long'), long);
    writeFileSync(join(dir, 'short'), 'short\n');
    assert.equal(liveHostFs.readText(join(dir, 'long')), long);
    assert.equal(liveHostFs.readText(join(dir, 'short')), 'short\n', 'no bytes of the longer read left over');
    assert.equal(liveHostFs.readText(join(dir, 'missing')), undefined);
    assert.equal(liveHostFs.readText(dir), undefined, 'a directory is not a file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
