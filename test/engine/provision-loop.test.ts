/**
 * Issue 16 on real loop devices: `stowage provision` plans without writing, applies onto a blank device, finds
 * its own work done on a rerun, resumes after a failed step, and refuses a signed, a mounted and the root disk.
 * The oracle is the system's own tools: blkid, findmnt, xfs_info, dumpe2fs, systemd-analyze verify; refusals are
 * checked by hashing the device's first and last MiB before and after. The host's engine is never restarted
 * (`--engine-restart none`), and every path written (daemon.json, fstab, units, journal) is under a temp dir.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlankLoop } from '../support/blank-loop.js';
import { blkid, findmnt } from '../support/block-tools.js';
import { LoopDisk } from '../support/loop-disk.js';
import { runCli, STOWAGE_BIN } from '../support/run-cli.js';
import { processesMentioning } from '../support/private-daemon.js';
import { schemaValidator } from '../support/json-schema.js';

/** The flags that keep every write of a test inside its own directory. */
function scoped(disk: BlankLoop, extra: string[] = []): string[] {
  mkdirSync(join(disk.dir, 'old'), { recursive: true });
  return ['--device', disk.device, '--mount-point', join(disk.dir, 'mnt'), '--daemon-json', join(disk.dir, 'etc', 'daemon.json'),
    '--fstab', join(disk.dir, 'etc', 'fstab'), '--unit-dir', join(disk.dir, 'units'), '--data-root', join(disk.dir, 'old'),
    '--journal', join(disk.dir, 'journal'), '--engine-restart', 'none', ...extra];
}

interface Doc { result: { plan: { actions: { id: string; kind: string; target: string }[]; refusals: { kind: string; detail: string }[] }; steps: { id: string; commands: string[] }[]; applied?: { results: { id: string; status: string; reason?: string }[]; totals: { done: number; failed: number } } } }

async function provision(args: string[]): Promise<{ code: number; doc: Doc; stderr: string }> {
  const r = await runCli(['--json', '-q', 'provision', ...args], { timeoutMs: 60_000 });
  const doc = JSON.parse(r.stdout) as Doc;
  // a refused apply prints the error document; every other run, the provision document
  if ((doc as unknown as { result?: unknown }).result) assert.deepEqual(schemaValidator('provision.schema.json')(doc), [], 'follows schema/provision.schema.json');
  return { code: r.code, doc, stderr: r.stderr };
}

describe('stowage provision on loop devices', { timeout: 300_000 }, () => {
  test('plan on a blank device shows mkfs with ftype=1, the mount and daemon.json, and writes nothing', async () => {
    const disk = new BlankLoop().create();
    try {
      const before = disk.edgeHash();
      const { code, doc } = await provision(['plan', ...scoped(disk)]);
      assert.equal(code, 0);
      assert.deepEqual(doc.result.plan.refusals, []);
      assert.deepEqual(doc.result.plan.actions.map((a) => a.id), ['mkfs-docker', 'mount-docker', 'verify-docker', 'persist-docker', 'daemon-json']);
      const mkfs = doc.result.steps.find((s) => s.id === 'mkfs-docker')!.commands[0]!;
      assert.match(mkfs, new RegExp(`^mkfs\\.xfs .*-n ftype=1 ${disk.device}$`));
      assert.equal(disk.edgeHash(), before, 'the device is unchanged');
      assert.deepEqual(blkid(disk.device), {}, 'blkid finds nothing on it');
      assert.equal(findmnt(join(disk.dir, 'mnt')), undefined);
      assert.deepEqual(readdirSync(disk.dir).sort(), ['disk.img', 'old'], 'no file written');
    } finally {
      disk.destroy();
    }
  });

  test('plan --ephemeral --reseed through the CLI names the bin/stowage it was started as in the re-seed unit', async () => {
    // the CLI runs a bundle, where import.meta.url is empty: the path once came from it and the plan crashed (exit 70)
    const disk = new BlankLoop().create();
    try {
      const store = join(disk.dir, 'store');
      const { code, doc, stderr } = await provision(['plan', ...scoped(disk, ['--ephemeral', '--reseed', store])]);
      assert.equal(code, 0, stderr);
      const unit = doc.result.steps.find((s) => s.id === 'reseed-unit')?.commands[0];
      assert.equal(unit?.split(': ')[1], `ExecStart=${STOWAGE_BIN} migrate import ${store}`);
    } finally {
      disk.destroy();
    }
  });

  test('apply (XFS, mount unit, ephemeral unit) formats, mounts and switches daemon.json; a rerun changes nothing; rollback restores daemon.json', async () => {
    const disk = new BlankLoop().create();
    try {
      mkdirSync(join(disk.dir, 'etc'));
      const original = '{\n  "log-driver": "json-file"\n}\n';
      writeFileSync(join(disk.dir, 'etc', 'daemon.json'), original);
      const args = scoped(disk, ['--persist', 'unit', '--ephemeral']);
      const first = await provision(['apply', ...args, '--yes']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.doc.result.applied!.totals.failed, 0);
      const sig = blkid(disk.device);
      assert.equal(sig.TYPE, 'xfs');
      assert.equal(sig.LABEL, 'stowage-dr');
      const mnt = join(disk.dir, 'mnt');
      const mounted = findmnt(mnt);
      assert.equal(mounted?.source, disk.device);
      assert.equal(mounted?.fstype, 'xfs');
      assert.match(execFileSync('xfs_info', [mnt], { encoding: 'utf8' }), /ftype=1/);
      const daemon = JSON.parse(readFileSync(join(disk.dir, 'etc', 'daemon.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(daemon, { 'log-driver': 'json-file', 'data-root': mnt });
      assert.equal(readFileSync(join(disk.dir, 'etc', 'daemon.json.stowage-backup'), 'utf8'), original);
      const units = readdirSync(join(disk.dir, 'units')).sort();
      assert.equal(units.length, 2);
      const mountUnit = units.find((u) => u.endsWith('.mount'))!;
      assert.equal(mountUnit, `${execFileSync('systemd-escape', ['--path', mnt], { encoding: 'utf8' }).trim()}.mount`);
      assert.match(readFileSync(join(disk.dir, 'units', mountUnit), 'utf8'), new RegExp(`What=/dev/disk/by-uuid/${sig.UUID}`));
      const verify = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(disk.dir, 'units', u))], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);

      const again = await provision(['apply', ...args, '--yes']);
      assert.equal(again.code, 0, again.stderr);
      const statuses = Object.fromEntries(again.doc.result.applied!.results.map((r) => [r.id, r.status]));
      assert.deepEqual(statuses, { 'mkfs-docker': 'skipped', 'mount-docker': 'skipped', 'verify-docker': 'done', 'persist-docker': 'skipped', 'ephemeral-unit': 'skipped', 'daemon-json': 'skipped' });
      assert.equal(blkid(disk.device).UUID, sig.UUID, 'the filesystem is the same one');

      // rollback: planned without --yes (nothing changes), restores the original daemon.json with it
      const daemonJson = join(disk.dir, 'etc', 'daemon.json');
      const planned = await runCli(['provision', 'rollback', '--daemon-json', daemonJson]);
      assert.equal(planned.code, 0, planned.stderr);
      assert.match(planned.stdout, /restore-daemon-json|write-file/);
      assert.equal((JSON.parse(readFileSync(daemonJson, 'utf8')) as Record<string, string>)['data-root'], mnt);
      const rolled = await runCli(['provision', 'rollback', '--daemon-json', daemonJson, '--yes']);
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal(readFileSync(daemonJson, 'utf8'), original);
      const twice = await runCli(['provision', 'rollback', '--daemon-json', daemonJson, '--yes']);
      assert.equal(twice.code, 4);
      assert.match(twice.stderr, /no backup/);

      // the ephemeral unit's command, run as boot would: a disk that kept its filesystem is left alone, a blank
      // one gets the same label and UUID back (so the mount unit finds it)
      const unit = readFileSync(join(disk.dir, 'units', units.find((u) => u.endsWith('.service'))!), 'utf8');
      const boot = /^ExecStart=\/bin\/sh -c '(.*)'$/m.exec(unit)![1]!;
      writeFileSync(join(mnt, 'marker'), 'kept');
      execFileSync('umount', [mnt]);
      execFileSync('sh', ['-c', boot]);
      execFileSync('mount', [disk.device, mnt]);
      assert.equal(readFileSync(join(mnt, 'marker'), 'utf8'), 'kept', 'a disk with its filesystem is not re-made');
      execFileSync('umount', [mnt]);
      execFileSync('wipefs', ['--all', '--quiet', disk.device]);
      assert.deepEqual(blkid(disk.device), {}, 'wiped as a cloud wipes an ephemeral disk');
      execFileSync('sh', ['-c', boot]);
      const remade = blkid(disk.device);
      assert.deepEqual([remade.TYPE, remade.LABEL, remade.UUID], ['xfs', 'stowage-dr', sig.UUID]);
      execFileSync('mount', [disk.device, mnt]);
      assert.ok(!existsSync(join(mnt, 'marker')), 'a new filesystem');
    } finally {
      disk.destroy();
    }
  });

  test('apply (ext4, fstab) resumes after a failed step and finishes without re-making the filesystem', async () => {
    const disk = new BlankLoop().create();
    try {
      mkdirSync(join(disk.dir, 'etc'));
      const daemonJson = join(disk.dir, 'etc', 'daemon.json');
      writeFileSync(daemonJson, '{ not json');
      const args = scoped(disk, ['--fs', 'ext4', '--persist', 'fstab']);
      const first = await provision(['apply', ...args, '--yes']);
      assert.equal(first.code, 6);
      const failed = first.doc.result.applied!.results.find((r) => r.status === 'failed');
      assert.equal(failed?.id, 'daemon-json');
      assert.equal(readFileSync(daemonJson, 'utf8'), '{ not json', 'a broken daemon.json is left as it was');
      const uuid = blkid(disk.device).UUID;
      assert.ok(uuid);
      writeFileSync(daemonJson, '{}\n');
      const second = await provision(['apply', ...args, '--yes']);
      assert.equal(second.code, 0, second.stderr);
      const statuses = Object.fromEntries(second.doc.result.applied!.results.map((r) => [r.id, r.status]));
      assert.equal(statuses['mkfs-docker'], 'done-earlier');
      assert.equal(statuses['daemon-json'], 'done');
      assert.equal(blkid(disk.device).UUID, uuid);
      const features = /Filesystem features:\s*(.*)/.exec(execFileSync('dumpe2fs', ['-h', disk.device], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))![1]!.split(/\s+/);
      assert.ok(features.includes('has_journal') && features.includes('filetype'), features.join(' '));
      assert.equal(findmnt(join(disk.dir, 'mnt'))?.fstype, 'ext4');
      assert.equal(readFileSync(join(disk.dir, 'etc', 'fstab'), 'utf8'), `UUID=${uuid} ${join(disk.dir, 'mnt')} ext4 defaults,nofail 0 2\n`);
      assert.equal((JSON.parse(readFileSync(daemonJson, 'utf8')) as Record<string, string>)['data-root'], join(disk.dir, 'mnt'));
    } finally {
      disk.destroy();
    }
  });

  test('apply killed with SIGKILL once mkfs has started: apply again finishes, the journal then removed', async () => {
    const disk = new BlankLoop().create();
    try {
      const args = scoped(disk, ['--persist', 'fstab']);
      const journal = join(disk.dir, 'journal');
      const child = spawn(process.execPath, [STOWAGE_BIN, '-q', 'provision', 'apply', ...args, '--yes'], { stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let killed = false;
      const deadline = Date.now() + 30_000;
      while (!killed && Date.now() < deadline && child.exitCode === null) {
        if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"event":"start","id":"mkfs-docker"')) {
          child.kill('SIGKILL');
          killed = true;
        } else {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      await exited;
      assert.ok(killed, 'the apply was killed while it ran');
      // mkfs, orphaned by the kill, may still be writing: the next apply starts once it is gone
      while (processesMentioning(disk.device).some((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('mkfs'))) await new Promise((r) => setTimeout(r, 50));
      assert.ok(existsSync(journal), 'the killed apply left its journal');
      const again = await provision(['apply', ...args, '--yes']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.doc.result.applied!.totals.failed, 0);
      assert.ok(!existsSync(journal), 'a finished apply removes its journal');
      const sig = blkid(disk.device);
      assert.equal(sig.TYPE, 'xfs');
      assert.equal(findmnt(join(disk.dir, 'mnt'))?.source, disk.device);
      // pquota where the kernel has XFS quota (it lists /proc/fs/xfs/xqm), so that --storage-opt size= works
      const xfsOptions = existsSync('/proc/fs/xfs/xqm') ? 'defaults,pquota,nofail' : 'defaults,nofail';
      assert.equal(readFileSync(join(disk.dir, 'etc', 'fstab'), 'utf8'), `UUID=${sig.UUID} ${join(disk.dir, 'mnt')} xfs ${xfsOptions} 0 2\n`);
      assert.equal((JSON.parse(readFileSync(join(disk.dir, 'etc', 'daemon.json'), 'utf8')) as Record<string, string>)['data-root'], join(disk.dir, 'mnt'));
    } finally {
      disk.destroy();
    }
  });

  test('apply --split partitions the device (GPT, named), makes and mounts both filesystems; a rerun changes nothing', async () => {
    const disk = new BlankLoop().create();
    try {
      const data = join(disk.dir, 'data');
      const args = scoped(disk, ['--persist', 'fstab', '--split', `500MiB:${data}`]);
      const first = await provision(['apply', ...args, '--yes']);
      assert.equal(first.code, 0, first.stderr);
      const tree = JSON.parse(execFileSync('lsblk', ['--json', '-b', '-o', 'NAME,SIZE,TYPE', disk.device], { encoding: 'utf8' })) as { blockdevices: { children?: { name: string; size: number; type: string }[] }[] };
      const parts = tree.blockdevices[0]!.children ?? [];
      assert.deepEqual(parts.map((c) => c.type), ['part', 'part']);
      assert.equal(parts[0]!.size, 500 * 1024 * 1024);
      const [p1, p2] = [`${disk.device}p1`, `${disk.device}p2`];
      assert.deepEqual([blkid(p1).LABEL, blkid(p1).PART_ENTRY_NAME, blkid(p2).LABEL, blkid(p2).PART_ENTRY_NAME], ['stowage-dr', 'stowage-docker', 'stowage-data', 'stowage-data']);
      assert.equal(findmnt(join(disk.dir, 'mnt'))?.source, p1);
      assert.equal(findmnt(data)?.source, p2);
      const again = await provision(['apply', ...args, '--yes']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.doc.result.applied!.results.filter((r) => r.status !== 'skipped').map((r) => r.id), ['verify-docker']);
    } finally {
      disk.destroy();
    }
  });

  test('a device with an ext4 filesystem is refused unless --force names it (the device unchanged); with it, wiped with a backup and made', async () => {
    const disk = new BlankLoop().create();
    try {
      execFileSync('mkfs.ext4', ['-q', disk.device]);
      const before = disk.edgeHash();
      const plan = await provision(['plan', ...scoped(disk)]);
      assert.equal(plan.code, 5);
      assert.deepEqual(plan.doc.result.plan.refusals.map((r) => r.kind), ['signature']);
      assert.match(plan.doc.result.plan.refusals[0]!.detail, /ext4 signature at offset 0x438/);
      const apply = await provision(['apply', ...scoped(disk), '--yes']);
      assert.equal(apply.code, 5);
      const otherForce = await provision(['apply', ...scoped(disk), '--force', '/dev/loop-nosuch', '--yes']);
      assert.equal(otherForce.code, 5, '--force naming another device does not count');
      assert.equal(disk.edgeHash(), before, 'the device is unchanged');
      assert.equal(blkid(disk.device).TYPE, 'ext4');
      const forced = await provision(['plan', ...scoped(disk), '--force', disk.device]);
      assert.equal(forced.code, 0);
      assert.equal(forced.doc.result.plan.actions[0]!.id, 'wipe');
      // applied with --force: wipefs keeps a backup of the erased signature (in $HOME, here the test's directory)
      const r = await runCli(['--json', '-q', 'provision', 'apply', ...scoped(disk), '--force', disk.device, '--yes'], { env: { HOME: disk.dir } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(blkid(disk.device).TYPE, 'xfs');
      assert.equal(blkid(disk.device).LABEL, 'stowage-dr');
      assert.ok(readdirSync(disk.dir).some((f) => /^wipefs-loop\d+-0x00000438\.bak$/.test(f)), `a wipefs backup in ${readdirSync(disk.dir).join(', ')}`);
    } finally {
      disk.destroy();
    }
  });

  test('a device with a partition table is refused', async () => {
    const disk = new BlankLoop().create();
    try {
      execFileSync('sfdisk', ['--quiet', disk.device], { input: 'label: gpt\n,,L\n', stdio: ['pipe', 'ignore', 'ignore'] });
      spawnSync('partx', ['-d', disk.device]);
      const before = disk.edgeHash();
      const r = await provision(['apply', ...scoped(disk), '--yes']);
      assert.equal(r.code, 5);
      assert.equal(disk.edgeHash(), before);
      assert.equal(blkid(disk.device).PTTYPE, 'gpt');
    } finally {
      disk.destroy();
    }
  });

  test('a mounted device is refused, even with --force naming it', async () => {
    const disk = new LoopDisk(1100, 'ext4').create();
    try {
      const args = ['--device', disk.device, '--mount-point', join(disk.dir, 'new'), '--daemon-json', join(disk.dir, 'daemon.json'),
        '--fstab', join(disk.dir, 'fstab'), '--data-root', disk.dir, '--journal', join(disk.dir, 'journal'), '--engine-restart', 'none', '--force', disk.device];
      const plan = await provision(['plan', ...args]);
      assert.equal(plan.code, 5);
      assert.ok(plan.doc.result.plan.refusals.some((r) => r.kind === 'mounted' && r.detail.includes(disk.mountPoint)));
      const apply = await provision(['apply', ...args, '--yes']);
      assert.equal(apply.code, 5);
      assert.equal(findmnt(disk.mountPoint)?.source, disk.device, 'still mounted as it was');
      assert.equal(blkid(disk.device).TYPE, 'ext4');
    } finally {
      disk.destroy();
    }
  });

  test('the disk under / is refused', async () => {
    const root = execFileSync('findmnt', ['-n', '-o', 'SOURCE', '/'], { encoding: 'utf8' }).trim();
    const r = await runCli(['--json', 'provision', 'apply', '--device', root, '--data-root', '/var/lib/docker', '--daemon-json', '/nonexistent/daemon.json',
      '--fstab', '/nonexistent/fstab', '--journal', '/nonexistent/journal', '--engine-restart', 'none', '--force', root, '--yes']);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /holds \/ \(device chain/);
    const plan = await provision(['plan', '--device', root, '--engine-restart', 'none', '--data-root', '/var/lib/docker']);
    assert.equal(plan.code, 5);
    assert.ok(plan.doc.result.plan.refusals.some((x) => x.kind === 'root-disk'));
  });
});
