/**
 * Issue 16's RAID0 plan on recorded device chains: an AWS host with two instance stores (what `--device auto`
 * finds there), probed as probeDevice would (sysfs sizes, /dev/disk links), striped as one md RAID0 the way the
 * EKS node image does; the refusals when md is missing; the boot unit, checked by `systemd-analyze verify`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stableLinksTo, type DeviceProbe } from '../../src/host/block-probe.js';
import { recordedHostFs, type HostFs, type RecordedEntry } from '../../src/host/host-fs.js';
import { MD_DEVICE, mdMissing } from '../../src/host/md-raid.js';
import { createToolRunner } from '../../src/host/tool-runner.js';
import { pickEphemeralDisks } from '../../src/provision/auto-device.js';
import { mountUnitName } from '../../src/provision/boot-units.js';
import { deviceRefusals } from '../../src/provision/device-refusals.js';
import type { Resolved } from '../../src/provision/provision-options.js';
import { buildSteps } from '../../src/provision/provision-steps.js';
import { memberNames, raidOf, raidRefusals, raidUnitName, raidUnitText } from '../../src/provision/raid-plan.js';

const GIB = 1024 ** 3;
/** Recorded from an AWS m5d.2xlarge: an EBS root (nvme0n1) and two 279.4 GiB instance stores; no md driver loaded. */
function awsTwoStores(extra: Record<string, RecordedEntry> = {}): HostFs {
  const disks = [
    { name: 'nvme0n1', model: 'Amazon Elastic Block Store', sectors: 209715200, link: 'nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f60718' },
    { name: 'nvme1n1', model: 'Amazon EC2 NVMe Instance Storage', sectors: 585937500, link: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1B0A0C7E6F4D7E2C1' },
    { name: 'nvme2n1', model: 'Amazon EC2 NVMe Instance Storage', sectors: 585937500, link: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS2B0A0C7E6F4D7E2C2' },
  ];
  const entries: Record<string, RecordedEntry> = {
    '/sys/block': { dir: [...disks.map((d) => d.name), 'loop0'] },
    '/dev/disk': { dir: ['by-id', 'by-path'] },
    '/dev/disk/by-id': { dir: disks.map((d) => d.link) },
    '/dev/disk/by-path': { dir: ['pci-0000:00:1f.0-nvme-1'] },
    '/dev/disk/by-path/pci-0000:00:1f.0-nvme-1': { link: '../../nvme1n1' },
    '/proc/filesystems': 'nodev\tsysfs\nnodev\toverlay\n\txfs\n',
    ...extra,
  };
  for (const d of disks) {
    entries[`/sys/class/block/${d.name}/size`] = `${d.sectors}\n`;
    entries[`/sys/class/block/${d.name}/dev`] = `259:${d.name[4]}\n`;
    entries[`/sys/class/block/${d.name}/device/model`] = `${d.model}\n`;
    entries[`/dev/disk/by-id/${d.link}`] = { link: `../../${d.name}` };
  }
  return recordedHostFs(entries);
}

/** What probeDevice reads from sysfs and /dev/disk for a blank disk (wipefs and blkid find nothing). */
function probeOf(fs: HostFs, name: string): DeviceProbe {
  return {
    given: `/dev/${name}`, path: `/dev/${name}`, name, majorMinor: fs.readText(`/sys/class/block/${name}/dev`)!.trim(), kind: 'disk',
    sizeBytes: Number(fs.readText(`/sys/class/block/${name}/size`)) * 512, readOnly: false, stableLinks: stableLinksTo(fs, name),
    partitions: [], holders: [], mounts: [], swaps: [], signatures: [], blkid: {}, probeErrors: [],
  };
}

function resolvedFor(fs: HostFs, members: DeviceProbe[], extra: Partial<Resolved['o']> = {}): Resolved {
  return {
    o: { device: members[0]!.path, devices: members.map((m) => m.path), fs: 'xfs', mountPoint: '/var/lib/docker-disk', daemonJson: '/nonexistent/daemon.json', persist: 'unit', unitDir: '/etc/systemd/system', fstab: '/etc/fstab', minSizeBytes: GIB, mdadmConf: '/etc/stowage/mdadm.conf', ...extra },
    probe: members[0]!, auto: undefined, members, mdMissing: mdMissing(fs, false), fs, tools: createToolRunner({ dryRun: true }),
    dataRoot: '/var/lib/docker', engine: undefined, engineKind: 'none', uuid: '5d1c9f0e-8b1a-4a57-9a3e-2f4c6b7d8e90', dataUuid: '00000000-0000-4000-8000-000000000000', quota: false,
  };
}

test('--device auto on two AWS instance stores: both, to be striped; the EBS root is not among them', () => {
  const fs = awsTwoStores();
  assert.deepEqual(pickEphemeralDisks(fs).map((d) => [d.path, d.what]), [['/dev/nvme1n1', 'AWS instance-store NVMe (ephemeral)'], ['/dev/nvme2n1', 'AWS instance-store NVMe (ephemeral)']]);
});

test('the RAID0 plan: mdadm --create over the stable names (chunk 512 KiB), the ARRAY line in stowage\'s own mdadm.conf, mkfs.xfs on the array with a 32 KiB log stripe', () => {
  const fs = awsTwoStores();
  const members = ['nvme1n1', 'nvme2n1'].map((n) => probeOf(fs, n));
  const r = resolvedFor(fs, members, { ephemeral: true });
  const steps = buildSteps(r, 0, false);
  assert.deepEqual(steps.map((s) => s.action.id), ['raid-create', 'raid-config', 'mkfs-docker', 'mount-docker', 'verify-docker', 'persist-docker', 'raid-unit', 'daemon-json']);
  const commands = Object.fromEntries(steps.map((s) => [s.step.id, s.step.commands]));
  assert.deepEqual(commands['raid-create'], [
    'mdadm --create /dev/md/stowage-docker --run --level=0 --chunk=512 --name=stowage-docker --homehost=any --raid-devices=2 '
    + '/dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1B0A0C7E6F4D7E2C1 /dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_AWS2B0A0C7E6F4D7E2C2',
  ]);
  assert.deepEqual(commands['raid-config'], ['mdadm --detail --scan /dev/md/stowage-docker >> /etc/stowage/mdadm.conf']);
  assert.deepEqual(commands['mkfs-docker'], ['mkfs.xfs -q -L stowage-dr -m uuid=5d1c9f0e-8b1a-4a57-9a3e-2f4c6b7d8e90 -n ftype=1 -l su=8b /dev/md/stowage-docker']);
  assert.equal(steps.find((s) => s.action.id === 'mkfs-docker')!.action.target, MD_DEVICE);
  assert.deepEqual(commands['raid-unit'], ['write /etc/systemd/system/stowage-md-var-lib-docker\\x2ddisk.service']);
  const array = raidOf(r);
  assert.equal(array.sizeBytes, 2 * 585937500 * 512, 'two members: twice the smaller');
  assert.deepEqual(array.members.map((m) => m.stableName), memberNames(r));
});

test('md missing refuses the plan with the reason; each member is refused on its own evidence', () => {
  assert.deepEqual(mdMissing(recordedHostFs({}), false), [
    'the kernel has no md driver (no /proc/mdstat; `modprobe raid0` loads it where it is a module)',
    'mdadm is not installed (apt-get install mdadm, dnf install mdadm)',
  ]);
  assert.deepEqual(mdMissing(recordedHostFs({ '/proc/mdstat': 'Personalities : [raid1] \nunused devices: <none>\n' }), true),
    ['the md driver has no raid0 personality (/proc/mdstat: Personalities : [raid1]; `modprobe raid0`)']);
  assert.deepEqual(mdMissing(recordedHostFs({ '/proc/mdstat': 'Personalities : [raid0] [raid1] \nunused devices: <none>\n' }), true), []);
  const fs = awsTwoStores();
  const members = ['nvme1n1', 'nvme2n1'].map((n) => probeOf(fs, n));
  const refusals = raidRefusals(resolvedFor(fs, members));
  assert.deepEqual(refusals.map((x) => x.kind), ['no-md-raid', 'no-md-raid']);
  assert.match(refusals[0]!.detail, /^striping 2 devices needs md RAID0: the kernel has no md driver/);
  assert.deepEqual(raidRefusals({ members: [], mdMissing: ['x'] }), [], 'one device: no RAID, nothing about md');
  // the second instance store already a member of an old array: refused on its own
  const held = { ...members[1]!, holders: ['md127'], signatures: [{ offset: '0x1000', type: 'linux_raid_member' }] };
  const facts = { rootChain: ['nvme0n1p1', 'nvme0n1'], dataRootChain: ['nvme0n1p1', 'nvme0n1'], dataRoot: '/var/lib/docker', minSizeBytes: GIB, ownMountPoints: [], ownedByStowage: false };
  assert.deepEqual(deviceRefusals(members[0]!, facts), []);
  assert.deepEqual(deviceRefusals(held, facts).map((x) => x.kind), ['held', 'signature']);
});

test('the RAID boot unit (ephemeral: re-create when every member is blank; else assemble only) passes systemd-analyze verify', () => {
  const fs = awsTwoStores();
  const members = memberNames({ members: ['nvme1n1', 'nvme2n1'].map((n) => probeOf(fs, n)) });
  const dir = mkdtempSync(join(tmpdir(), 'stowage-raid-unit-'));
  try {
    const spec = { fs: 'xfs' as const, uuid: '5d1c9f0e-8b1a-4a57-9a3e-2f4c6b7d8e90', where: join(dir, 'mnt'), label: 'stowage-dr' };
    for (const ephemeral of [true, false]) {
      const text = raidUnitText(members, '/etc/stowage/mdadm.conf', spec, ephemeral);
      assert.match(text, new RegExp(`^Before=${mountUnitName(spec.where).replace(/\\/g, '\\\\')} docker\\.service containerd\\.service$`, 'm'));
      assert.match(text, /mdadm --assemble \/dev\/md\/stowage-docker --config=\/etc\/stowage\/mdadm\.conf/);
      assert.equal(text.includes('--create'), ephemeral);
      if (ephemeral) assert.match(text, /! \/usr\/sbin\/blkid -p \/dev\/disk\/by-id\/\S+C1 >\/dev\/null 2>&1 && ! \/usr\/sbin\/blkid -p \/dev\/disk\/by-id\/\S+C2 .*&& \/usr\/sbin\/mkfs\.xfs .*-l su=8b \/dev\/md\/stowage-docker; \}'$/m);
      const path = join(dir, raidUnitName(spec.where));
      writeFileSync(path, text);
      const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
      assert.equal(verify.stderr.trim(), '', verify.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
