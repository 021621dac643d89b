/**
 * Issue 16's `--keep-images` across a driver change: when the old data-root was written by another driver than
 * overlay2, the plan carries images and volumes through a `stowage migrate` store (export before the stop,
 * import and verify after the start, the store removed last) and says why; with overlay2 it copies the files as
 * before. The old driver is read from the engine, else from the old data-root's image store, else daemon.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilityContext } from '../../src/context.js';
import type { DeviceProbe } from '../../src/host/block-probe.js';
import { recordedHostFs, type HostFs } from '../../src/host/host-fs.js';
import { createToolRunner } from '../../src/host/tool-runner.js';
import { oldDriver, type OldDriver } from '../../src/provision/driver-change.js';
import type { EngineControl, Resolved } from '../../src/provision/provision-options.js';
import { buildSteps } from '../../src/provision/provision-steps.js';

const blank: DeviceProbe = {
  given: '/dev/nvme1n1', path: '/dev/nvme1n1', name: 'nvme1n1', majorMinor: '259:1', kind: 'disk', sizeBytes: 300 * 1024 ** 3,
  readOnly: false, stableLinks: ['/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1A2B3C4D5E6F7'], partitions: [], holders: [],
  mounts: [], swaps: [], signatures: [], blkid: {}, probeErrors: [],
};
const engine: EngineControl = {
  stop: () => Promise.reject(new Error('not in a plan')), start: () => Promise.reject(new Error('not in a plan')),
  describe: { stop: 'systemctl stop docker.socket docker.service', start: 'systemctl start docker.service' },
};
const DAEMON_JSON = '/nonexistent/etc/docker/daemon.json';

function resolved(fs: HostFs, driver: OldDriver | undefined): Resolved {
  return {
    o: { device: blank.path, fs: 'xfs', mountPoint: '/var/lib/docker-disk', daemonJson: DAEMON_JSON, persist: 'fstab', unitDir: '/etc/systemd/system', fstab: '/etc/fstab', minSizeBytes: 1024 ** 3, mdadmConf: '/etc/stowage/mdadm.conf', keepImages: true },
    probe: blank, auto: undefined, members: [], mdMissing: [], fs, tools: createToolRunner({ dryRun: true }),
    dataRoot: '/var/lib/docker', engine, engineKind: 'custom', uuid: '5d1c9f0e-8b1a-4a57-9a3e-2f4c6b7d8e90', dataUuid: '00000000-0000-4000-8000-000000000000', quota: false,
    oldDriver: driver,
  };
}

const tail = (steps: ReturnType<typeof buildSteps>) => steps.map((s) => s.action.id).slice(steps.findIndex((s) => s.action.id === 'persist-docker') + 1);

test('driver vfs -> overlay2: export before the stop, import and verify after the start, the store removed last; the reason says why', () => {
  const fs = recordedHostFs({ [DAEMON_JSON]: '{"storage-driver": "vfs", "log-level": "warn"}\n' });
  const steps = buildSteps(resolved(fs, { name: 'vfs', from: 'the engine' }), 0, false);
  assert.deepEqual(tail(steps), ['migrate-export', 'stop-engine', 'daemon-json', 'start-engine', 'migrate-import', 'migrate-verify', 'verify-engine', 'remove-store']);
  const by = Object.fromEntries(steps.map((s) => [s.action.id, s]));
  const store = '/var/lib/docker-disk/.stowage-migrate-store';
  assert.equal(by['migrate-export']!.action.target, store);
  assert.match(by['migrate-export']!.action.reason, /^driver vfs \(from the engine\) -> overlay2: a file copy would not carry the images/);
  assert.match(by['migrate-export']!.action.reason, /containers are not carried/);
  assert.match(by['migrate-export']!.step.commands[0]!, new RegExp(`/stowage migrate export ${store}$`));
  assert.match(by['migrate-import']!.step.commands[0]!, new RegExp(`/stowage migrate import ${store}$`));
  assert.match(by['migrate-verify']!.step.commands[0]!, new RegExp(`/stowage migrate verify ${store}$`));
  assert.deepEqual(by['remove-store']!.step.commands, [`rm -rf ${store}`]);
  // daemon.json sets the driver: the plan changes it (and says so); every other key is kept
  assert.match(by['daemon-json']!.action.reason, /storage-driver vfs -> overlay2/);
  assert.match(by['daemon-json']!.step.commands.at(-1)!, /"storage-driver": "overlay2"$/);
  assert.match(by['verify-engine']!.action.reason, /the driver overlay2, every image ID of the store is listed/);
  assert.ok(!by['copy-data'], 'no file copy');
});

test('a driver daemon.json does not set stays unset (dockerd refuses a key its command line also sets)', () => {
  const steps = buildSteps(resolved(recordedHostFs({}), { name: 'btrfs', from: '/var/lib/docker/image' }), 0, false);
  const dj = steps.find((s) => s.action.id === 'daemon-json')!;
  assert.doesNotMatch(dj.step.commands.at(-1)!, /storage-driver/);
  assert.match(steps.find((s) => s.action.id === 'migrate-export')!.action.reason, /^driver btrfs \(from \/var\/lib\/docker\/image\) -> overlay2/);
});

test('the same driver, or one that cannot be found: copy-data as before, no migrate steps', () => {
  for (const driver of [{ name: 'overlay2', from: 'the engine' }, undefined]) {
    const steps = buildSteps(resolved(recordedHostFs({}), driver), 0, false);
    assert.deepEqual(tail(steps), ['stop-engine', 'copy-data', 'daemon-json', 'start-engine', 'verify-engine'], String(driver?.name));
  }
});

test('the old driver: the engine when it runs on the old data-root, else the data-root\'s image store, else daemon.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-driver-'));
  try {
    // nothing answers on this socket, as during a resumed apply with the engine stopped
    const context = capabilityContext({ connect: { host: `unix://${join(dir, 'no.sock')}`, timeoutMs: 2_000 } });
    const fs = recordedHostFs({ [DAEMON_JSON]: '{"storage-driver": "btrfs"}' });
    assert.deepEqual(await oldDriver(context, dir, fs, DAEMON_JSON), { name: 'btrfs', from: DAEMON_JSON });
    mkdirSync(join(dir, 'image', 'vfs'), { recursive: true });
    assert.deepEqual(await oldDriver(context, dir, fs, DAEMON_JSON), { name: 'vfs', from: `${dir}/image` });
    // two image stores (the driver was switched once before): ambiguous, daemon.json decides
    mkdirSync(join(dir, 'image', 'overlay2'));
    assert.deepEqual(await oldDriver(context, dir, fs, DAEMON_JSON), { name: 'btrfs', from: DAEMON_JSON });
    assert.equal(await oldDriver(context, dir, recordedHostFs({}), DAEMON_JSON), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
