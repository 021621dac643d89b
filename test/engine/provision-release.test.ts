/**
 * `provision rollback --release [--wipe]` on real loop devices: after an apply, it restores daemon.json, removes
 * the units (or the fstab line) apply wrote, unmounts the disk and with --wipe erases stowage's filesystem; it
 * refuses a mount that holds a filesystem stowage did not make. The oracle is the system's own tools (findmnt,
 * blkid -p); the host's engine is never restarted and every path written is under the test's temp dir.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlankLoop } from '../support/blank-loop.js';
import { blkid, findmnt } from '../support/block-tools.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

function paths(disk: BlankLoop) {
  const etc = join(disk.dir, 'etc');
  mkdirSync(etc, { recursive: true });
  mkdirSync(join(disk.dir, 'old'), { recursive: true });
  return { mnt: join(disk.dir, 'mnt'), daemonJson: join(etc, 'daemon.json'), fstab: join(etc, 'fstab'), units: join(disk.dir, 'units') };
}

function applyArgs(disk: BlankLoop, p: ReturnType<typeof paths>, extra: string[]): string[] {
  return ['provision', 'apply', '--device', disk.device, '--mount-point', p.mnt, '--daemon-json', p.daemonJson, '--fstab', p.fstab,
    '--unit-dir', p.units, '--data-root', join(disk.dir, 'old'), '--journal', join(disk.dir, 'journal'), '--engine-restart', 'none', '--yes', ...extra];
}

function rollbackArgs(p: ReturnType<typeof paths>, extra: string[]): string[] {
  return ['--json', 'provision', 'rollback', '--daemon-json', p.daemonJson, '--release', '--mount-point', p.mnt, '--unit-dir', p.units, '--fstab', p.fstab, ...extra];
}

describe('stowage provision rollback --release', { timeout: 120_000 }, () => {
  test('after an apply with units: plan first, then daemon.json back, units gone, unmounted and wiped', async () => {
    const disk = new BlankLoop().create();
    try {
      const p = paths(disk);
      const original = '{\n  "log-driver": "json-file"\n}\n';
      writeFileSync(p.daemonJson, original);
      const applied = await runCli(['-q', ...applyArgs(disk, p, ['--persist', 'unit', '--ephemeral'])], { timeoutMs: 60_000 });
      assert.equal(applied.code, 0, applied.stderr);
      const uuid = blkid(disk.device).UUID;
      assert.equal(findmnt(p.mnt)?.source, disk.device);
      assert.equal(readdirSync(p.units).length, 2);

      const planned = await runCli(rollbackArgs(p, ['--wipe']));
      assert.equal(planned.code, 0, planned.stderr);
      const plan = JSON.parse(planned.stdout) as { result: { schemaVersion: number; release: { device: string; uuid: string }; plan: { actions: { id: string }[] } } };
      assert.deepEqual(schemaValidator('provision-rollback.schema.json')(plan), []);
      assert.deepEqual(plan.result.plan.actions.map((a) => a.id.replace(/ .*\.(service|mount)$/, ' $1')),
        ['restore-daemon-json', 'remove-unit service', 'remove-unit mount', 'unmount', 'wipe']);
      assert.deepEqual([plan.result.release.device, plan.result.release.uuid], [disk.device, uuid]);
      assert.equal(findmnt(p.mnt)?.source, disk.device, 'a plan changes nothing');
      assert.equal(readdirSync(p.units).length, 2);

      const rolled = await runCli(rollbackArgs(p, ['--wipe', '--yes']));
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal(readFileSync(p.daemonJson, 'utf8'), original);
      assert.deepEqual(readdirSync(p.units), []);
      assert.equal(findmnt(p.mnt), undefined, 'findmnt: nothing mounted');
      assert.deepEqual(blkid(disk.device), {}, 'blkid -p: the device holds nothing');

      const again = await runCli(rollbackArgs(p, ['--wipe', '--yes']));
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual((JSON.parse(again.stdout) as { result: { plan: { actions: unknown[] } } }).result.plan.actions, [], 'nothing left to undo');
    } finally {
      disk.destroy();
    }
  });

  test('after an apply with fstab: the line goes and the filesystem stays without --wipe', async () => {
    const disk = new BlankLoop().create();
    try {
      const p = paths(disk);
      writeFileSync(p.daemonJson, '{}\n');
      writeFileSync(p.fstab, '# the admin\'s own line\nUUID=1111-2222 /boot vfat defaults 0 2\n');
      const applied = await runCli(['-q', ...applyArgs(disk, p, ['--persist', 'fstab', '--fs', 'ext4'])], { timeoutMs: 60_000 });
      assert.equal(applied.code, 0, applied.stderr);
      const uuid = blkid(disk.device).UUID!;
      assert.match(readFileSync(p.fstab, 'utf8'), new RegExp(`^UUID=${uuid} `, 'm'));
      const rolled = await runCli(rollbackArgs(p, ['--yes']));
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal(readFileSync(p.fstab, 'utf8'), '# the admin\'s own line\nUUID=1111-2222 /boot vfat defaults 0 2\n');
      assert.equal(findmnt(p.mnt), undefined);
      assert.deepEqual([blkid(disk.device).TYPE, blkid(disk.device).UUID], ['ext4', uuid], 'kept without --wipe');
    } finally {
      disk.destroy();
    }
  });

  test('a mount point holding a filesystem stowage did not make is refused, and nothing changes', async () => {
    const disk = new BlankLoop().create();
    try {
      const p = paths(disk);
      writeFileSync(p.daemonJson, '{}\n');
      execFileSync('mkfs.ext4', ['-q', '-L', 'someone-else', disk.device]);
      mkdirSync(p.mnt, { recursive: true });
      execFileSync('mount', [disk.device, p.mnt]);
      const r = await runCli(rollbackArgs(p, ['--wipe', '--yes']));
      assert.equal(r.code, 5, r.stderr);
      assert.match((JSON.parse(r.stdout) as { error: { message: string } }).error.message, /not stowage's filesystem/);
      assert.equal(findmnt(p.mnt)?.source, disk.device);
      assert.equal(blkid(disk.device).LABEL, 'someone-else');
      assert.ok(!existsSync(p.units));
    } finally {
      disk.destroy();
    }
  });
});
