/** Issue 16's pure parts: unit names against systemd-escape, refusals from a recorded probe, stable names from recorded /dev/disk trees. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseBlkidExport, parseSwaps, parseWipefsJson, stableLinksTo, type DeviceProbe } from '../../src/host/block-probe.js';
import { liveHostFs, recordedHostFs, type RecordedEntry } from '../../src/host/host-fs.js';
import { commandLine, partitionCommand } from '../../src/host/provision-tools.js';
import { escapeUnitPath, fstabLine, mountUnitText } from '../../src/provision/boot-units.js';
import { deviceRefusals, type RefusalFacts } from '../../src/provision/device-refusals.js';
import { partitionNode } from '../../src/provision/provision.js';
import { applyPlan } from '../../src/plan/apply-plan.js';
import { makePlan } from '../../src/plan/plan.js';

test('unit names match systemd-escape --path', () => {
  for (const path of ['/var/lib/docker', '/var/lib/docker-disk', '/mnt/with space', '/srv/.hidden/x', '/data/ü', '/']) {
    assert.equal(escapeUnitPath(path), execFileSync('systemd-escape', ['--path', path], { encoding: 'utf8' }).trim(), path);
  }
});

test('the mount unit and the fstab line name the filesystem by UUID, with pquota only when asked', () => {
  const m = { fs: 'xfs' as const, uuid: '0b6c1d55-3f4f-4f0c-9d43-1f2d5a0e7a11', where: '/var/lib/docker-disk', quota: true };
  assert.match(mountUnitText(m), /^What=\/dev\/disk\/by-uuid\/0b6c1d55-3f4f-4f0c-9d43-1f2d5a0e7a11$/m);
  assert.match(mountUnitText(m), /^Options=defaults,pquota$/m);
  assert.match(mountUnitText(m), /^Before=docker\.service containerd\.service$/m);
  assert.equal(fstabLine({ ...m, quota: false }), 'UUID=0b6c1d55-3f4f-4f0c-9d43-1f2d5a0e7a11 /var/lib/docker-disk xfs defaults,nofail 0 2');
});

test('partition nodes and the sfdisk script', () => {
  assert.equal(partitionNode('/dev/sdb', 1), '/dev/sdb1');
  assert.equal(partitionNode('/dev/nvme1n1', 2), '/dev/nvme1n1p2');
  assert.equal(partitionNode('/dev/loop3', 1), '/dev/loop3p1');
  assert.equal(commandLine(partitionCommand('/dev/sdb', 50 * 1024 ** 3, ['a', 'b'])),
    "printf 'label: gpt\\nsize=51200MiB, type=linux, name=a\\ntype=linux, name=b\\n' | sfdisk --quiet --wipe never /dev/sdb");
});

test('wipefs --json, blkid -o export and /proc/swaps are read as the tools print them', () => {
  const wipefs = '{\n   "signatures": [\n      {\n         "device": "loop0",\n         "offset": "0x438",\n         "type": "ext4",\n         "uuid": "8d30f6b5-3fa0-487a-88ef-a3f59f288aa5",\n         "label": null\n      }\n   ]\n}\n';
  assert.deepEqual(parseWipefsJson(wipefs), [{ offset: '0x438', type: 'ext4', uuid: '8d30f6b5-3fa0-487a-88ef-a3f59f288aa5' }]);
  assert.deepEqual(parseWipefsJson('{\n   "signatures": [\n\n   ]\n}\n'), []);
  assert.deepEqual(parseBlkidExport('DEVNAME=/dev/loop0\nUUID=8d30\nTYPE=ext4\nUSAGE=filesystem\n'), { DEVNAME: '/dev/loop0', UUID: '8d30', TYPE: 'ext4', USAGE: 'filesystem' });
  assert.deepEqual(parseSwaps('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sdb2                               partition\t2097148\t\t0\t\t-2\n'), ['/dev/sdb2']);
});

test('stable names: an Azure resource disk is named by the cloud\'s link first, then by-id, by-path', () => {
  // recorded from an Azure VM (Standard_D4s_v3): the resource disk is sdb, the kernel name changes between boots
  const fs = recordedHostFs({
    '/dev/disk': { dir: ['azure', 'by-id', 'by-path', 'by-uuid', 'by-diskseq'] },
    '/dev/disk/by-diskseq': { dir: ['3'] },
    '/dev/disk/by-diskseq/3': { link: '../../sdb' },
    '/dev/disk/azure': { dir: ['resource', 'root', 'resource-part1'] },
    '/dev/disk/azure/resource': { link: '../../sdb' },
    '/dev/disk/azure/resource-part1': { link: '../../sdb1' },
    '/dev/disk/azure/root': { link: '../../sda' },
    '/dev/disk/by-id': { dir: ['scsi-360022480e9a4b9b9b0f1e0d0a8b7c6d5', 'wwn-0x60022480e9a4b9b9b0f1e0d0a8b7c6d5'] },
    '/dev/disk/by-id/scsi-360022480e9a4b9b9b0f1e0d0a8b7c6d5': { link: '../../sdb' },
    '/dev/disk/by-id/wwn-0x60022480e9a4b9b9b0f1e0d0a8b7c6d5': { link: '../../sdb' },
    '/dev/disk/by-path': { dir: ['acpi-VMBUS:01-vmbus-f8b3781b1a824818a1c363d806ec15bb-lun-1'] },
    '/dev/disk/by-path/acpi-VMBUS:01-vmbus-f8b3781b1a824818a1c363d806ec15bb-lun-1': { link: '../../sdb' },
    '/dev/disk/by-uuid': { dir: ['4a1c5e3e-0d36-4a43-9f43-6c9a2a6b1c11'] },
    '/dev/disk/by-uuid/4a1c5e3e-0d36-4a43-9f43-6c9a2a6b1c11': { link: '../../sdb' },
  });
  assert.deepEqual(stableLinksTo(fs, 'sdb'), [
    '/dev/disk/azure/resource',
    '/dev/disk/by-id/scsi-360022480e9a4b9b9b0f1e0d0a8b7c6d5',
    '/dev/disk/by-id/wwn-0x60022480e9a4b9b9b0f1e0d0a8b7c6d5',
    '/dev/disk/by-path/acpi-VMBUS:01-vmbus-f8b3781b1a824818a1c363d806ec15bb-lun-1',
  ]);
  assert.deepEqual(stableLinksTo(fs, 'sdc'), []);
  // by-uuid and by-diskseq are left out: they name the filesystem (gone once the disk is wiped) or this boot's order
});

const blank: DeviceProbe = {
  given: '/dev/nvme1n1', path: '/dev/nvme1n1', name: 'nvme1n1', majorMinor: '259:1', kind: 'disk', sizeBytes: 300 * 1024 ** 3,
  readOnly: false, stableLinks: ['/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1A2B3C4D5E6F7'], partitions: [], holders: [],
  mounts: [], swaps: [], signatures: [], blkid: {}, probeErrors: [],
};
const facts: RefusalFacts = { rootChain: ['nvme0n1p1', 'nvme0n1'], dataRootChain: ['nvme0n1p1', 'nvme0n1'], dataRoot: '/var/lib/docker', minSizeBytes: 1024 ** 3, ownMountPoints: ['/var/lib/docker-disk'], ownedByStowage: false };

test('refusals: a blank instance-store disk passes; each condition refuses with its evidence', () => {
  assert.deepEqual(deviceRefusals(blank, facts), []);
  const kinds = (p: Partial<DeviceProbe>, f: Partial<RefusalFacts> = {}) => deviceRefusals({ ...blank, ...p }, { ...facts, ...f }).map((r) => `${r.kind}: ${r.detail}`);
  assert.deepEqual(kinds({ name: 'nvme0n1', path: '/dev/nvme0n1', partitions: ['nvme0n1p1'], mounts: [{ device: '/dev/nvme0n1p1', mountPoint: '/', fsType: 'xfs', options: 'rw' }] }, { force: '/dev/nvme0n1' }), [
    'root-disk: holds / (device chain nvme0n1p1 -> nvme0n1)',
    'data-root-disk: holds the current data-root /var/lib/docker (device chain nvme0n1p1 -> nvme0n1)',
    'mounted: /dev/nvme0n1p1 is mounted on / (xfs)',
  ]);
  assert.deepEqual(kinds({ name: 'nvme0n1p2', path: '/dev/nvme0n1p2', kind: 'partition', parentDisk: 'nvme0n1' }, { rootChain: ['nvme0n1p1', 'nvme0n1'], dataRootChain: ['nvme1n1'] }),
    ['root-disk: is a partition of nvme0n1, the disk holding / (device chain nvme0n1p1 -> nvme0n1)']);
  assert.deepEqual(kinds({ signatures: [{ offset: '0x218', type: 'LVM2_member', uuid: 'abc' }] }), ['signature: wipefs: LVM2_member signature at offset 0x218 (UUID abc); --force /dev/nvme1n1 wipes it']);
  assert.deepEqual(kinds({ signatures: [{ offset: '0x218', type: 'LVM2_member' }] }, { force: '/dev/nvme1n1' }), []);
  assert.deepEqual(kinds({ signatures: [{ offset: '0x218', type: 'LVM2_member' }] }, { force: '/dev/nvme2n1' }).length, 1);
  assert.deepEqual(kinds({ holders: ['dm-0'] }, { force: '/dev/nvme1n1' }), ['held: held by dm-0 (/sys/class/block/*/holders: LVM, md or dm-crypt)']);
  assert.deepEqual(kinds({ swaps: ['/dev/nvme1n1'] }), ['swap: /dev/nvme1n1 is in use as swap (/proc/swaps)']);
  assert.deepEqual(kinds({ sizeBytes: 512 * 1024 ** 2 }), ['too-small: 537 MB is below the minimum of 1.07 GB']);
  assert.deepEqual(kinds({ blkid: { PTTYPE: 'dos' } }), ['signature: blkid -p: PTTYPE=dos; --force /dev/nvme1n1 wipes it']);
  assert.equal(kinds({ probeErrors: ['wipefs: denied'] }, { force: '/dev/nvme1n1' })[0], 'unreadable: its signatures cannot be read (wipefs: denied): what it holds is unknown');
  // stowage's own filesystem, mounted where asked: apply finds it done
  const own = { signatures: [{ offset: '0x0', type: 'xfs' }], mounts: [{ device: '/dev/nvme1n1', mountPoint: '/var/lib/docker-disk', fsType: 'xfs', options: 'rw' }] };
  assert.deepEqual(kinds(own, { ownedByStowage: true }), []);
  assert.equal(kinds(own).length, 2, 'the same without stowage\'s label: mounted and signed');
});

test('applyPlan with stopOnFailure runs nothing after a failed action (provisioning steps build on each other)', async () => {
  const plan = makePlan('provision', ['mkfs', 'mount', 'daemon-json'].map((id) => ({ id, kind: id, target: '/dev/x', bytes: 0, reason: '' })));
  const ran: string[] = [];
  const result = await applyPlan(plan, {
    stopOnFailure: true,
    recheck: async () => undefined,
    perform: async (a) => { ran.push(a.id); if (a.id === 'mount') throw new Error('mount failed (exit 32)'); },
  });
  assert.deepEqual(ran, ['mkfs', 'mount']);
  assert.deepEqual(result.results.map((r) => `${r.id} ${r.status}${r.reason ? `: ${r.reason}` : ''}`), ['mkfs done', 'mount failed: mount failed (exit 32)', 'daemon-json not-run: mount failed before it']);
});

test('bad input is one line and its exit code: no such device 4, apply without --yes 2, a bad --fs or --split 2', async () => {
  const { main } = await import('../../src/cli/main.js');
  const run = async (args: string[]) => {
    let err = '';
    const io = { stdout: { write: () => undefined }, stderr: { write: (s: string) => { err += s; } }, env: {} };
    return { code: await main(args, io), err };
  };
  const nosuch = await run(['provision', 'plan', '--device', '/dev/stowage-nosuch', '--data-root', '/var/lib/docker']);
  assert.deepEqual([nosuch.code, nosuch.err.split('\n')[0]], [4, 'stowage: device /dev/stowage-nosuch does not exist']);
  const noYes = await run(['provision', 'apply', '--device', '/dev/stowage-nosuch']);
  assert.deepEqual([noYes.code, noYes.err.split('\n')[0]], [2, 'stowage: provision apply formats a disk: add --yes']);
  assert.equal((await run(['provision', 'plan', '--device', '/dev/null', '--fs', 'btrfs'])).code, 2);
  assert.equal((await run(['provision', 'plan', '--device', '/dev/null', '--split', '50G'])).code, 2);
  const notBlock = await run(['provision', 'plan', '--device', '/dev/null', '--data-root', '/var/lib/docker']);
  assert.deepEqual([notBlock.code, notBlock.err.split('\n')[0]], [4, 'stowage: /dev/null is not a block device']);
});

/** A recorded /sys/block and /dev/disk: each disk with its size in sectors, model, vendor, and its /dev/disk links. */
function cloudHost(disks: { name: string; model: string; vendor?: string; gib: number; links?: string[] }[]) {
  const entries: Record<string, RecordedEntry> = { '/sys/block': { dir: [...disks.map((d) => d.name), 'loop0'] } };
  const dirs = new Map<string, string[]>();
  for (const d of disks) {
    entries[`/sys/class/block/${d.name}/size`] = `${d.gib * 2 * 1024 * 1024}\n`;
    entries[`/sys/class/block/${d.name}/device/model`] = `${d.model}\n`;
    if (d.vendor) entries[`/sys/class/block/${d.name}/device/vendor`] = `${d.vendor}\n`;
    for (const link of d.links ?? []) {
      entries[link] = { link: `../../${d.name}` };
      const dir = link.slice(0, link.lastIndexOf('/'));
      dirs.set(dir, [...(dirs.get(dir) ?? []), link.slice(dir.length + 1)]);
    }
  }
  for (const [dir, names] of dirs) entries[dir] = { dir: names };
  entries['/dev/disk'] = { dir: [...new Set([...dirs.keys()].map((d) => d.split('/')[3]!))] };
  return recordedHostFs(entries);
}

test('--device auto picks the cloud\'s one ephemeral disk, and refuses none or several', async () => {
  const { pickEphemeralDisk } = await import('../../src/provision/auto-device.js');
  const { BadInputError, RefusedError } = await import('../../src/errors.js');
  const ebsRoot = { name: 'nvme0n1', model: 'Amazon Elastic Block Store', gib: 100, links: ['/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60718'] };
  const store = (n: number) => ({ name: `nvme${n}n1`, model: 'Amazon EC2 NVMe Instance Storage', gib: 1745, links: [`/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS2E1F2A3B4C5D6E7F${n}`] });
  // AWS m5d.large: EBS root and one instance store
  const aws = pickEphemeralDisk(cloudHost([ebsRoot, store(1)]));
  assert.deepEqual([aws.path, aws.stableName, aws.what], ['/dev/nvme1n1', '/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS2E1F2A3B4C5D6E7F1', 'AWS instance-store NVMe (ephemeral)']);
  // Azure D4s_v3: OS disk and resource disk are both "Msft Virtual Disk"; only the agent's link tells them apart
  const azure = pickEphemeralDisk(cloudHost([
    { name: 'sda', vendor: 'Msft', model: 'Virtual Disk', gib: 30, links: ['/dev/disk/azure/root'] },
    { name: 'sdb', vendor: 'Msft', model: 'Virtual Disk', gib: 32, links: ['/dev/disk/azure/resource'] },
  ]));
  assert.deepEqual([azure.path, azure.stableName, azure.what], ['/dev/sdb', '/dev/disk/azure/resource', 'Azure resource disk (ephemeral)']);
  // GCP n2 with a local NVMe SSD
  const gcp = pickEphemeralDisk(cloudHost([
    { name: 'nvme0n1', model: 'nvme_card-pd', gib: 20, links: ['/dev/disk/by-id/google-persistent-disk-0'] },
    { name: 'nvme1n1', model: 'nvme_card', gib: 375, links: ['/dev/disk/by-id/google-local-nvme-ssd-0'] },
  ]));
  assert.deepEqual([gcp.path, gcp.what], ['/dev/nvme1n1', 'GCP local SSD (ephemeral)']);
  // a plain VM: none; an m5d.4xlarge with two instance stores: ambiguous, each named
  assert.throws(() => pickEphemeralDisk(cloudHost([{ name: 'vda', vendor: '0x1af4', model: '', gib: 250 }])),
    (e: Error) => e instanceof BadInputError && /found no ephemeral disk .*disks here: vda \(0x1af4\)/.test(e.message));
  assert.throws(() => pickEphemeralDisk(cloudHost([ebsRoot, store(1), store(2)])),
    (e: Error) => e instanceof RefusedError && /ambiguous: 2 ephemeral disks: .*F1 .*F2 /.test(e.message) && !e.message.includes('Elastic'));
});

test('provision plan --device auto on this host: the disk it finds, or the refusal, through the CLI', async () => {
  const { main } = await import('../../src/cli/main.js');
  const { findEphemeralDisks } = await import('../../src/host/ephemeral-disks.js');
  const found = findEphemeralDisks(liveHostFs);
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } }, env: {} };
  const code = await main(['provision', 'plan', '--device', 'auto', '--data-root', '/var/lib/docker', '--json'], io);
  const doc = JSON.parse(out) as { result?: { device: { given: string; auto?: string; path: string } }; error?: { message: string } };
  if (found.length === 0) {
    assert.equal(code, 4, err);
    assert.match(doc.error!.message, /found no ephemeral disk/);
  } else if (found.length > 1) {
    assert.equal(code, 5, err);
  } else {
    assert.deepEqual([doc.result!.device.given, doc.result!.device.path], ['auto', found[0]!.path]);
  }
});
