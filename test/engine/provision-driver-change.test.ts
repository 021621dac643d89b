/**
 * Issue 16's `--keep-images` across a storage-driver change, on PRIVATE daemons only (the host's engine is never
 * stopped): a daemon on `vfs` with two images and a named volume moves onto a blank loop device that gets
 * overlay2. A file copy would leave `vfs/` directories overlay2 cannot read, so apply goes through a migrate
 * store on the new disk; it is interrupted during the import (its AbortSignal, as Ctrl-C) and resumed from its
 * journal. Both daemons are reached through one socket path that the engine control re-points at the restart,
 * as /var/run/docker.sock stays the same across a systemd restart. The oracle is Docker itself (docker info,
 * docker image ls, docker run) and the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capabilityContext } from '../../src/context.js';
import { applyProvision, type EngineControl } from '../../src/provision/provision.js';
import { BlankLoop } from '../support/blank-loop.js';
import { docker } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { imageIds, seedDaemon } from '../support/seeded-daemon.js';

test('apply --keep-images from a vfs daemon: images and a volume carried onto overlay2 through a migrate store, resumed after an interruption at the import', { timeout: 240_000 }, async () => {
  const disk = new BlankLoop(1100).create();
  const old = new PrivateDaemon({ storageDriver: 'vfs' });
  let next: PrivateDaemon | undefined;
  let started = false;
  try {
    await old.start();
    const { committed, volume, before } = await seedDaemon(old, 'stowage-test/provision-vfs');
    assert.equal(before.length, 2);
    assert.equal((await docker(['info', '-f', '{{.Driver}}'], { env: old.env })).stdout.trim(), 'vfs');

    const mnt = join(disk.dir, 'mnt');
    next = new PrivateDaemon({ dataRoot: mnt });
    const socket = join(disk.dir, 'engine.sock');
    symlinkSync(old.socket, socket);
    const engine: EngineControl = {
      stop: async () => { await old.stop(); },
      start: async () => {
        started = true;
        await next!.start();
        rmSync(socket);
        symlinkSync(next!.socket, socket);
      },
      describe: { stop: 'stop the private daemon', start: 'start a private daemon on the new data-root' },
    };
    const daemonJson = join(disk.dir, 'daemon.json');
    writeFileSync(daemonJson, '{"storage-driver": "vfs", "log-level": "warn"}\n');
    const options = {
      device: disk.device, fs: 'ext4' as const, keepImages: true, mountPoint: mnt, dataRoot: old.dataRoot,
      daemonJson, persist: 'fstab' as const, fstab: join(disk.dir, 'fstab'), journal: join(disk.dir, 'journal'), engine,
    };
    const connect = { host: `unix://${socket}` };
    const store = join(mnt, '.stowage-migrate-store');

    // first run: interrupted as the import sends its first bytes to the new daemon
    const controller = new AbortController();
    const progress = {
      update: (u: { step: string }) => { if (u.step.startsWith('importing')) controller.abort(new Error('stopped by the test')); },
      note: () => undefined,
      end: () => undefined,
    };
    const first = await applyProvision(options, capabilityContext({ connect, signal: controller.signal, progress }));
    const status1 = Object.fromEntries(first.applied!.results.map((r) => [r.id, r.status]));
    const ids = first.plan.actions.map((a) => a.id);
    assert.deepEqual(ids.slice(ids.indexOf('migrate-export')), ['migrate-export', 'stop-engine', 'daemon-json', 'start-engine', 'migrate-import', 'migrate-verify', 'verify-engine', 'remove-store']);
    assert.ok(!ids.includes('copy-data'), 'no file copy across a driver change');
    assert.match(first.plan.actions.find((a) => a.id === 'migrate-export')!.reason, /^driver vfs \(from the engine\) -> overlay2: a file copy would not carry the images/);
    assert.equal(first.applied!.aborted, true);
    assert.equal(status1['migrate-export'], 'done');
    assert.equal(status1['start-engine'], 'done');
    assert.equal(status1['migrate-import'], 'not-run');
    assert.equal(status1['remove-store'], 'not-run');
    assert.ok(started, 'the daemon on the new data-root was started before the import');
    assert.ok(existsSync(join(store, 'oci-layout')), 'the store is on the new disk');
    assert.ok(existsSync(options.journal), 'the journal is kept for the next run');
    // the load under way when the abort came finished (an image appears only once loaded whole); the rest did not start
    assert.equal((await imageIds(next.env)).length, 1, 'one of the two images was loaded before the interruption');

    // second run: the old daemon is stopped, so the driver is read from the old data-root's image store; the
    // plan is the same (the journal's digest matches) and the import finishes, skipping the image already loaded
    const second = await applyProvision(options, capabilityContext({ connect }));
    const status2 = Object.fromEntries(second.applied!.results.map((r) => [r.id, r.status]));
    assert.match(second.plan.actions.find((a) => a.id === 'migrate-export')!.reason, new RegExp(`^driver vfs \\(from ${old.dataRoot}/image\\)`));
    assert.equal(status2['migrate-export'], 'done-earlier');
    assert.equal(status2['start-engine'], 'done-earlier');
    for (const id of ['migrate-import', 'migrate-verify', 'verify-engine', 'remove-store']) {
      assert.equal(status2[id], 'done', `${id}: ${second.applied!.results.find((r) => r.id === id)?.reason}`);
    }
    assert.equal(second.applied!.totals.failed, 0);
    assert.ok(!existsSync(options.journal), 'a finished apply removes its journal');
    assert.ok(!existsSync(store), 'the store is removed');

    const env = next.env;
    assert.equal((await docker(['info', '-f', '{{.Driver}} {{.DockerRootDir}}'], { env })).stdout.trim(), `overlay2 ${mnt}`);
    assert.deepEqual(await imageIds(env), before, 'the same image IDs');
    const read = await docker(['run', '--rm', '-v', `${volume}:/v`, committed, 'sh', '-c', 'cat /v/file; wc -c < /big'], { env });
    assert.deepEqual(read.stdout.trim().split('\n').map((l) => l.trim()), ['kept', String(4 * 1024 * 1024)]);
    const json = JSON.parse(readFileSync(daemonJson, 'utf8')) as Record<string, string>;
    assert.deepEqual(json, { 'storage-driver': 'overlay2', 'log-level': 'warn', 'data-root': mnt }, 'the driver changed, every other key kept');
  } finally {
    await next?.destroy();
    await old.destroy();
    disk.destroy();
  }
});
