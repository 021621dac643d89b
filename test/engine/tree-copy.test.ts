/**
 * Issue 16: provision's parallel data-root copy (`copyTree`) keeps what one `cp -a` kept. A tree on one XFS loop
 * disk (hardlinks within a subtree, across two layers and across top directories; owners, modes with setuid and
 * sticky bits, nanosecond times on files and on the top directories, user.*, trusted.overlay.opaque and
 * security.capability xattrs, a whiteout device node, symlinks, a sparse file, an empty directory) is copied
 * onto another; the oracle is the system's tools: stat, getfattr, find -samefile and du.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, openSync, symlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { copyTree } from '../../src/host/tree-copy.js';
import { hostTools, type ToolCommand, type ToolRunner } from '../../src/host/tool-runner.js';
import { LoopDisk } from '../support/loop-disk.js';

const sh = (tool: string, args: string[], cwd?: string) => execFileSync(tool, args, { encoding: 'utf8', ...(cwd ? { cwd } : {}) });

function writeTree(root: string): void {
  const file = (rel: string, text: string) => { mkdirSync(join(root, rel, '..'), { recursive: true }); sh('sh', ['-c', `printf '%s' "$1" > "$2"`, '_', text, join(root, rel)]); };
  file('overlay2/a/diff/usr/bin/ping', 'ping');
  file('overlay2/a/diff/etc/shared', 'shared across layers');
  file('overlay2/a/diff/etc/pair1', 'pair within a layer');
  file('volumes/v1/_data/shared-with-layer', 'across top directories');
  file('engine-id', 'abc');
  file('overlay2/c/diff/setuid', 'suid');
  linkSync(join(root, 'overlay2/a/diff/etc/pair1'), join(root, 'overlay2/a/diff/etc/pair2'));
  mkdirSync(join(root, 'overlay2/b/diff/etc'), { recursive: true });
  linkSync(join(root, 'overlay2/a/diff/etc/shared'), join(root, 'overlay2/b/diff/etc/shared'));
  mkdirSync(join(root, 'overlay2/c/diff/var'), { recursive: true });
  linkSync(join(root, 'volumes/v1/_data/shared-with-layer'), join(root, 'overlay2/c/diff/var/from-volume'));
  sh('mknod', [join(root, 'overlay2/b/diff/etc/gone'), 'c', '0', '0']);
  symlinkSync('../a/diff', join(root, 'overlay2/l'));
  symlinkSync('/nowhere', join(root, 'dangling'));
  mkdirSync(join(root, 'overlay2/c/diff/tmp'));
  mkdirSync(join(root, 'empty-top'));
  const fd = openSync(join(root, 'volumes/v1/_data/sparse.db'), 'w');
  ftruncateSync(fd, 64 * 1024 * 1024);
  writeSync(fd, Buffer.alloc(1 << 20, 7), 0, 1 << 20, 0);
  writeSync(fd, Buffer.alloc(1 << 20, 9), 0, 1 << 20, 40 * 1024 * 1024);
  closeSync(fd);
  sh('setcap', ['cap_net_raw+ep', join(root, 'overlay2/a/diff/usr/bin/ping')]);
  sh('setfattr', ['-n', 'user.stowage', '-v', 'kept', join(root, 'overlay2/a/diff/etc/shared')]);
  sh('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(root, 'overlay2/b/diff/etc')]);
  sh('setfattr', ['-n', 'user.top', '-v', 'dir', join(root, 'overlay2')]);
  sh('chown', ['1234:5678', join(root, 'overlay2/a/diff/etc/pair1'), join(root, 'overlay2/c'), join(root, 'volumes')]);
  sh('chown', ['-h', '4321:8765', join(root, 'dangling')]);
  sh('chmod', ['4755', join(root, 'overlay2/c/diff/setuid')]);
  sh('chmod', ['1777', join(root, 'overlay2/c/diff/tmp')]);
  sh('chmod', ['0710', join(root, 'overlay2'), root]);
  // times last, deepest first: the top directories' times are the ones a copy into them would change
  sh('touch', ['-h', '-d', '2001-02-03 04:05:06.123456789', join(root, 'overlay2/a/diff/etc/shared'), join(root, 'dangling')]);
  sh('touch', ['-d', '2002-03-04 05:06:07.987654321', join(root, 'overlay2/b'), join(root, 'overlay2'), join(root, 'volumes'), join(root, 'empty-top'), root]);
}

/** Every path's type, mode, owner, size, link count and times (ns), and its xattrs, as stat and getfattr print them. */
function listing(root: string): string {
  const paths = sh('find', ['.', '-print0'], root).split('\0').filter(Boolean).sort();
  // a directory's size is the filesystem's business (XFS packs its entries), not the copy's
  const stat = sh('stat', ['-c', '%n|%F|%a|%u:%g|%s|%h|%y', ...paths], root).replace(/\|directory\|(.*?)\|\d+\|/g, '|directory|$1||');
  const xattrs = sh('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', ...paths], root);
  return `${stat}\n${xattrs}`;
}

const names = (root: string, rel: string) => sh('find', ['.', '-samefile', rel], root).split('\n').filter(Boolean).sort();
const allocated = (path: string) => Number(sh('du', ['-B1', path]).split(/\s/)[0]);

test('copyTree keeps hardlinks (also across subtrees), owners, modes, times, xattrs, device nodes, symlinks and holes', { timeout: 120_000 }, async () => {
  const from = new LoopDisk(320, 'xfs').create();
  const to = new LoopDisk(320, 'xfs').create();
  try {
    const src = join(from.mountPoint, 'docker');
    mkdirSync(src);
    writeTree(src);
    const ran: ToolCommand[] = [];
    const tools: ToolRunner = { recorded: [], dryRun: false, run: (c) => { ran.push(c); return hostTools.run(c); } };
    await copyTree(src, to.mountPoint, { jobs: 3, tools });
    // subtrees that share an inode went to one cp, so no file's data was written twice
    const cpOf = (part: string) => ran.filter((c) => c.tool === 'cp' && c.args.includes(part)).map((c) => c.args.slice(c.args.indexOf('--') + 1).sort());
    assert.deepEqual(cpOf('overlay2/a'), [['overlay2/a', 'overlay2/b']]);
    assert.deepEqual(cpOf('volumes/v1'), [['overlay2/c', 'volumes/v1']]);
    assert.deepEqual(cpOf('overlay2/l'), [['overlay2/l']]);

    assert.equal(listing(to.mountPoint), listing(src));
    for (const rel of ['./overlay2/a/diff/etc/shared', './overlay2/a/diff/etc/pair1', './volumes/v1/_data/shared-with-layer']) {
      assert.deepEqual(names(to.mountPoint, rel), names(src, rel), rel);
      assert.equal(names(to.mountPoint, rel).length, 2, rel);
    }
    assert.match(sh('getcap', [join(to.mountPoint, 'overlay2/a/diff/usr/bin/ping')]), /cap_net_raw[=+]ep/);
    const sparse = 'volumes/v1/_data/sparse.db';
    assert.ok(allocated(join(to.mountPoint, sparse)) <= allocated(join(src, sparse)), 'holes kept');
    assert.ok(allocated(join(to.mountPoint, sparse)) < 8 * 1024 * 1024, 'the 64 MiB file with 2 MiB of data stays sparse');
  } finally {
    to.destroy();
    from.destroy();
  }
});
