/**
 * What migrate adds to the engine's archive API for a volume on this host: xattrs read with getfattr become
 * PAX records that GNU tar extracts and getfattr reads back; runs of zero blocks are counted per file so that
 * holes can be dug after the extraction (the count checked against a file laid out by hand); and the tags
 * `--containers` commits under.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreHoles, withHostXattrs } from '../../src/migrate/host-volume.js';
import { underMount } from '../../src/migrate/restore-archive.js';
import { commitTag } from '../../src/migrate/commit-containers.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-host-volume-'));
async function* once(b: Buffer): AsyncGenerator<Buffer> { yield b; }
async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('migrate: volumes on this host', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the xattrs the archive API leaves out, and GNU tar extracts them', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub/f'), 'content');
    assert.equal(spawnSync('setfattr', ['-n', 'user.kept', '-v', 'yes', join(src, 'sub/f')]).status, 0);
    // like the engine's archive API: no xattrs in the stream
    const plain = spawnSync('tar', ['-C', src, '--no-xattrs', '-cf', '-', '.'], { maxBuffer: 1 << 26 }).stdout;
    const withAttrs = await collect(withHostXattrs(once(plain), src, 'test'));
    const out = join(dir, 'out');
    mkdirSync(out);
    const x = spawnSync('tar', ['-C', out, '--xattrs', '--xattrs-include=*', '-xf', '-'], { input: withAttrs });
    assert.equal(x.status, 0, x.stderr?.toString());
    assert.equal(spawnSync('getfattr', ['--only-values', '-n', 'user.kept', join(out, 'sub/f')], { encoding: 'utf8' }).stdout, 'yes');
    assert.equal(spawnSync('cat', [join(out, 'sub/f')], { encoding: 'utf8' }).stdout, 'content');
  });

  it('counts a file\'s whole zero 4 KiB blocks as the restore streams it, and digging leaves content and mtime', async () => {
    const v = join(dir, 'v');
    mkdirSync(v);
    const f = join(v, 'img');
    const fd = openSync(f, 'w');
    writeSync(fd, Buffer.alloc(5000, 1), 0, 5000, 0);                     // blocks 0 and 1 hold data
    writeSync(fd, Buffer.alloc(100, 2), 0, 100, 3 * 1024 * 1024 + 10);  // one data block after 3 MiB
    closeSync(fd);
    spawnSync('touch', ['-d', '2021-02-03 04:05:06', f]);
    const tar = spawnSync('tar', ['-C', v, '-cf', '-', 'img'], { maxBuffer: 1 << 26 }).stdout;
    const seen: { path: string; zeroBytes: number; mtime: number }[] = [];
    await collect(underMount(once(tar), '/stowage-volume', 'test', (x) => seen.push(x)));
    const size = statSync(f).size;
    const blocks = Math.floor(size / 4096);
    assert.deepEqual(seen.map((s) => [s.path, s.zeroBytes]), [['img', (blocks - 2) * 4096]]);
    // GNU tar writes it out in full, as the engine's extraction does; then dug
    const full = join(dir, 'full');
    mkdirSync(full);
    const x = spawnSync('tar', ['-C', full, '-xf', '-'], { input: tar });
    assert.equal(x.status, 0);
    const before = Number(spawnSync('du', ['-k', join(full, 'img')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
    assert.equal(await restoreHoles(full, seen), 1);
    const after = Number(spawnSync('du', ['-k', join(full, 'img')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
    assert.ok(after < before && after <= 64, `du ${before} KiB before, ${after} KiB after digging`);
    assert.equal(spawnSync('cmp', [f, join(full, 'img')]).status, 0, 'same content');
    assert.equal(Math.floor(statSync(join(full, 'img')).mtimeMs / 1000), seen[0]!.mtime);
  });

  it('--containers tags: stowage-migrate/NAME:ID12, a name lowercased', () => {
    assert.deepEqual(commitTag('/Web_App.1', 'abcdef0123456789'), { repo: 'stowage-migrate/web_app.1', tag: 'abcdef012345' });
  });
});
