/**
 * Issue 16: `--ephemeral` with `--split` on a real loop device. Apply partitions, makes and mounts both
 * filesystems and writes the boot unit and both mount units (systemd-analyze verify passes them); then the
 * boot unit's own command, run as boot would, leaves a disk that kept its partitions alone, and on a disk wiped
 * as a cloud wipes one writes the same GPT back (lsblk, blkid: partition names, labels, UUIDs as before).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlankLoop } from '../support/blank-loop.js';
import { blkid, findmnt } from '../support/block-tools.js';
import { runCli } from '../support/run-cli.js';

describe('provision --ephemeral --split on a loop device', { timeout: 180_000 }, () => {
  test('the boot unit re-partitions a wiped disk and re-makes both filesystems with the same UUIDs', async () => {
    const disk = new BlankLoop().create();
    try {
      mkdirSync(join(disk.dir, 'old'));
      const mnt = join(disk.dir, 'mnt');
      const data = join(disk.dir, 'data');
      const args = ['--device', disk.device, '--mount-point', mnt, '--daemon-json', join(disk.dir, 'etc', 'daemon.json'),
        '--fstab', join(disk.dir, 'etc', 'fstab'), '--unit-dir', join(disk.dir, 'units'), '--data-root', join(disk.dir, 'old'),
        '--journal', join(disk.dir, 'journal'), '--engine-restart', 'none', '--persist', 'unit', '--ephemeral', '--split', `500MiB:${data}`];
      const r = await runCli(['--json', '-q', 'provision', 'apply', ...args, '--yes'], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      const [p1, p2] = [`${disk.device}p1`, `${disk.device}p2`];
      const before = [blkid(p1), blkid(p2)];
      assert.deepEqual(before.map((b) => [b.TYPE, b.LABEL, b.PART_ENTRY_NAME]), [['xfs', 'stowage-dr', 'stowage-docker'], ['xfs', 'stowage-data', 'stowage-data']]);
      assert.equal(findmnt(mnt)?.source, p1);
      assert.equal(findmnt(data)?.source, p2);

      const units = readdirSync(join(disk.dir, 'units')).sort();
      assert.equal(units.length, 3, units.join(', '));
      const verify = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(disk.dir, 'units', u))], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
      const service = readFileSync(join(disk.dir, 'units', units.find((u) => u.endsWith('.service'))!), 'utf8');
      for (const m of units.filter((u) => u.endsWith('.mount'))) {
        assert.match(service, new RegExp(`^Before=.*${m.replace(/\\/g, '\\\\').replace(/\./g, '\\.')}`, 'm'), `ordered before ${m}`);
        assert.match(readFileSync(join(disk.dir, 'units', m), 'utf8'), /^Requires=stowage-mkfs-.*\.service$/m, `${m} requires the boot unit`);
      }
      // as systemd runs it: $$ is a literal $
      const boot = /^ExecStart=\/bin\/sh -c '(.*)'$/m.exec(service)![1]!.replace(/\$\$/g, '$');

      writeFileSync(join(data, 'mine'), 'kept');
      execFileSync('umount', [mnt]);
      execFileSync('umount', [data]);
      execFileSync('sh', ['-c', boot]);
      execFileSync('mount', [p2, data]);
      assert.equal(readFileSync(join(data, 'mine'), 'utf8'), 'kept', 'a disk that kept its partitions is left alone');
      execFileSync('umount', [data]);

      // wiped as a cloud wipes an ephemeral disk: partitions gone, nothing on it
      assert.equal(execFileSync('findmnt', ['-rn', '-o', 'SOURCE,TARGET'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(disk.device)).join('; '), '');
      execFileSync('wipefs', ['--all', '--quiet', p1]);
      execFileSync('wipefs', ['--all', '--quiet', p2]);
      execFileSync('partx', ['-d', disk.device]);
      execFileSync('wipefs', ['--all', '--quiet', disk.device]);
      assert.deepEqual(blkid(disk.device), {}, 'blank');
      execFileSync('sh', ['-c', boot]);
      const after = [blkid(p1), blkid(p2)];
      assert.deepEqual(after.map((b) => [b.TYPE, b.LABEL, b.UUID, b.PART_ENTRY_NAME]), before.map((b) => [b.TYPE, b.LABEL, b.UUID, b.PART_ENTRY_NAME]));
      const tree = JSON.parse(execFileSync('lsblk', ['--json', '-b', '-o', 'NAME,SIZE', disk.device], { encoding: 'utf8' })) as { blockdevices: { children?: { size: number }[] }[] };
      assert.equal(tree.blockdevices[0]!.children![0]!.size, 500 * 1024 * 1024);
    } finally {
      disk.destroy();
    }
  });
});
