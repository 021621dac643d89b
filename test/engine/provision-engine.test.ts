/**
 * Issue 16's engine switch, on a PRIVATE daemon only (the host's engine is never stopped): a daemon with an
 * image, a committed image and a named volume is stopped, its data-root copied onto a blank loop device, and a
 * daemon on the new data-root answers with the same image IDs, runs a container and reads the volume. The apply
 * is first interrupted as the copy starts (its AbortSignal, as Ctrl-C), then resumed from its journal. The oracle is Docker
 * itself (docker images, docker info, docker run) and findmnt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { capabilityContext } from '../../src/context.js';
import { applyProvision, type EngineControl } from '../../src/provision/provision.js';
import { BlankLoop } from '../support/blank-loop.js';
import { docker } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { imageIds, seedDaemon } from '../support/seeded-daemon.js';

test('apply --keep-images moves a private daemon onto the loop device, resumed after an interruption at the copy', { timeout: 180_000 }, async () => {
  const disk = new BlankLoop(1100).create();
  const old = new PrivateDaemon();
  let next: PrivateDaemon | undefined;
  let started = false;
  try {
    await old.start();
    const { committed, volume, before } = await seedDaemon(old, 'stowage-test/provision');
    assert.equal(before.length, 2);

    const mnt = join(disk.dir, 'mnt');
    // the daemon that will run on the new data-root; apply's engine-side check talks to it
    next = new PrivateDaemon({ dataRoot: mnt });
    const engine: EngineControl = {
      stop: async () => { await old.stop(); },
      start: async () => { started = true; await next!.start(); },
      describe: { stop: 'stop the private daemon', start: 'start a private daemon on the new data-root' },
    };
    const options = {
      device: disk.device, fs: 'ext4' as const, keepImages: true, mountPoint: mnt, dataRoot: old.dataRoot,
      daemonJson: join(disk.dir, 'daemon.json'), persist: 'fstab' as const, fstab: join(disk.dir, 'fstab'),
      journal: join(disk.dir, 'journal'), engine,
    };

    // first run: interrupted as the copy starts (the progress sink sees the step begin and aborts, as Ctrl-C would)
    const controller = new AbortController();
    const progress = {
      update: (u: { step: string }) => { if (u.step.startsWith('copy ')) controller.abort(new Error('stopped by the test')); },
      note: () => undefined,
      end: () => undefined,
    };
    const first = await applyProvision(options, capabilityContext({ signal: controller.signal, progress }));
    const status1 = Object.fromEntries(first.applied!.results.map((r) => [r.id, r.status]));
    assert.equal(first.applied!.aborted, true);
    assert.equal(status1['stop-engine'], 'done');
    assert.equal(status1['copy-data'], 'not-run');
    assert.equal(status1['daemon-json'], 'not-run');
    assert.equal(started, false, 'no daemon was started on a half-copied data-root');
    assert.ok(existsSync(options.journal), 'the journal is kept for the next run');

    // second run: resumes from the journal, finishes
    const second = await applyProvision(options, capabilityContext({ connect: { host: next.host } }));
    const status2 = Object.fromEntries(second.applied!.results.map((r) => [r.id, r.status]));
    assert.equal(status2['mkfs-docker'], 'done-earlier');
    assert.equal(status2['stop-engine'], 'done-earlier');
    assert.equal(status2['copy-data'], 'done');
    assert.equal(status2['start-engine'], 'done');
    assert.equal(status2['verify-engine'], 'done', second.applied!.results.find((r) => r.id === 'verify-engine')?.reason);
    assert.equal(second.applied!.totals.failed, 0);
    assert.ok(!existsSync(options.journal), 'a finished apply removes its journal');

    const daemon = next as PrivateDaemon | undefined;
    assert.ok(daemon, 'a daemon was started on the new data-root');
    const found = spawnSync('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', mnt], { encoding: 'utf8' }).stdout.trim();
    assert.equal(found, disk.device);
    assert.equal((await docker(['info', '-f', '{{.DockerRootDir}}'], { env: daemon.env })).stdout.trim(), mnt);
    assert.deepEqual(await imageIds(daemon.env), before, 'the same image IDs');
    const read = await docker(['run', '--rm', '-v', `${volume}:/v`, committed, 'sh', '-c', 'cat /v/file; wc -c < /big'], { env: daemon.env });
    assert.deepEqual(read.stdout.trim().split('\n').map((l) => l.trim()), ['kept', String(4 * 1024 * 1024)]);
    assert.equal((JSON.parse(readFileSync(options.daemonJson, 'utf8')) as Record<string, string>)['data-root'], mnt);
  } finally {
    await next?.destroy();
    await old.destroy();
    disk.destroy();
  }
});

test('verify-engine fails, naming the store, when the copied images sit in another driver\'s store than the one the engine runs', { timeout: 180_000 }, async () => {
  const disk = new BlankLoop(1100).create();
  // the images are written by vfs; a second (empty) image store means the old driver cannot be read from the
  // data-root, daemon.json sets none and no engine runs on it: plan copies the files as they are
  const old = new PrivateDaemon({ storageDriver: 'vfs' });
  let next: PrivateDaemon | undefined;
  try {
    await old.start();
    const { before } = await seedDaemon(old, 'stowage-test/provision-vfs');
    assert.equal(before.length, 2);
    mkdirSync(join(old.dataRoot, 'image', 'btrfs'), { recursive: true });
    const mnt = join(disk.dir, 'mnt');
    // the engine on the new data-root runs overlay2: it cannot see vfs's images
    next = new PrivateDaemon({ dataRoot: mnt });
    const engine: EngineControl = {
      stop: async () => { await old.stop(); },
      start: async () => { await next!.start(); },
      describe: { stop: 'stop the private daemon', start: 'start a private daemon on the new data-root' },
    };
    const options = {
      device: disk.device, fs: 'ext4' as const, keepImages: true, mountPoint: mnt, dataRoot: old.dataRoot,
      daemonJson: join(disk.dir, 'daemon.json'), persist: 'fstab' as const, fstab: join(disk.dir, 'fstab'),
      journal: join(disk.dir, 'journal'), engine,
    };
    const report = await applyProvision(options, capabilityContext({ connect: { host: next.host } }));
    assert.ok(!report.plan.actions.some((a) => a.id === 'migrate-export'), 'no driver change was planned: the driver was not found');
    const verify = report.applied!.results.find((r) => r.id === 'verify-engine');
    assert.equal(verify?.status, 'failed', 'before the fix this passed with nothing checked');
    assert.match(verify!.reason ?? '', /runs overlay2 on the new data-root, but .* keeps its images elsewhere \(2 in the vfs image store\)/);
    assert.deepEqual(await imageIds(next.env), [], 'docker itself lists none of them');
  } finally {
    await next?.destroy();
    await old.destroy();
    disk.destroy();
  }
});
