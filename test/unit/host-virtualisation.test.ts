/** Whether the host is a VM, from /proc/cpuinfo and DMI names; and doctor saying so beside slow I/O. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ioChecks } from '../../src/doctor/io-checks.js';
import { engineChecks, overlayUnusableFs } from '../../src/doctor/engine-checks.js';
import type { DiskFacts } from '../../src/doctor/facts.js';
import { recordedHostFs } from '../../src/host/host-fs.js';
import { identifyHypervisor, parseCpuinfoHypervisor, readVirtualisation } from '../../src/host/virtualisation.js';
import { readSample } from '../support/samples.js';
import { baseFacts } from './doctor-fixture.js';

const cpuinfo = readSample('proc/cpuinfo-kvm-guest.txt');
const bareCpuinfo = cpuinfo.replace(/ hypervisor\b/, '');

describe('virtualisation', () => {
  it('reads the hypervisor flag from a recorded KVM guest\'s /proc/cpuinfo', () => {
    assert.equal(parseCpuinfoHypervisor(cpuinfo), true);
    assert.equal(parseCpuinfoHypervisor(bareCpuinfo), false);
  });

  it('names the hypervisor from the DMI strings each one writes', () => {
    assert.equal(identifyHypervisor('VirtualBox', 'innotek GmbH'), 'VirtualBox');
    assert.equal(identifyHypervisor('Standard PC (Q35 + ICH9, 2009)', 'QEMU'), 'KVM/QEMU');
    assert.equal(identifyHypervisor('VMware Virtual Platform', 'VMware, Inc.'), 'VMware');
    assert.equal(identifyHypervisor('Virtual Machine', 'Microsoft Corporation'), 'Hyper-V');
    assert.equal(identifyHypervisor('HVM domU', 'Xen'), 'Xen');
    assert.equal(identifyHypervisor('PowerEdge R740', 'Dell Inc.'), undefined);
  });

  it('combines both: the flag without DMI (this CI VM), DMI without the flag, neither', () => {
    const flagOnly = readVirtualisation(recordedHostFs({ '/proc/cpuinfo': cpuinfo }));
    assert.deepEqual(flagOnly, { virtual: true, hypervisor: undefined, cpuFlag: true, product: undefined, vendor: undefined });
    const vbox = readVirtualisation(recordedHostFs({
      '/proc/cpuinfo': bareCpuinfo, '/sys/class/dmi/id/product_name': 'VirtualBox\n', '/sys/class/dmi/id/sys_vendor': 'innotek GmbH\n',
    }));
    assert.equal(vbox.virtual, true);
    assert.equal(vbox.hypervisor, 'VirtualBox');
    const metal = readVirtualisation(recordedHostFs({
      '/proc/cpuinfo': bareCpuinfo, '/sys/class/dmi/id/product_name': 'PowerEdge R740\n', '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n',
    }));
    assert.equal(metal.virtual, false);
  });
});

describe('slow I/O on a VM says so', () => {
  const slowProbe = (virtual: boolean) => baseFacts({
    virtualisation: virtual
      ? { virtual: true, hypervisor: 'VirtualBox', cpuFlag: true, product: 'VirtualBox', vendor: 'innotek GmbH' }
      : { virtual: false, hypervisor: undefined, cpuFlag: false, product: 'PowerEdge R740', vendor: 'Dell Inc.' },
    io: {
      windowMs: 1000, rates: [], devices: [], iowaitPercent: 1, stuckTasks: [], blockedNow: 0, syncWriteError: undefined,
      syncWrite: { directory: '/var/lib/docker', writes: 10, blockBytes: 1 << 20, latenciesMs: [900, 900], totalMs: 20_000, timedOut: true },
    },
  });

  it('adds the hypervisor as evidence and the layer below to the fix', () => {
    const [f] = ioChecks(slowProbe(true));
    assert.equal(f?.id, 'io/slow-sync-write');
    assert.deepEqual(f.evidence.at(-1), { label: 'host', value: 'virtual machine (VirtualBox; DMI product "VirtualBox", vendor "innotek GmbH", CPU flag hypervisor)' });
    assert.match(f.fix?.summary ?? '', /This host is a virtual machine: run the same probe on the machine under it/);
  });

  it('says nothing of the kind on bare metal', () => {
    const [f] = ioChecks(slowProbe(false));
    assert.ok(f && !f.evidence.some((e) => e.label === 'host'));
    assert.doesNotMatch(f.fix?.summary ?? '', /virtual machine/);
  });
});

describe('engine/unusable-filesystem', () => {
  it('knows the filesystems overlay2 cannot use, and not the local ones', () => {
    for (const t of ['fuse', 'fuse.bindfs', 'fuse.sshfs', 'fuseblk', 'nfs', 'nfs4', 'cifs', 'smb3', 'vboxsf', '9p']) {
      assert.ok(overlayUnusableFs(t), t);
    }
    for (const t of ['ext4', 'xfs', 'btrfs', 'zfs', 'tmpfs', 'overlay']) assert.equal(overlayUnusableFs(t), undefined, t);
  });

  const on = (fsType: string): DiskFacts => ({
    mount: { mountId: 1, parentId: 0, major: 0, minor: 50, root: '/', mountPoint: '/var/lib/docker', mountOptions: 'rw', fsType, source: 'none', superOptions: 'rw' },
    device: undefined, disks: [], space: undefined, dtype: undefined, sharesRootFs: false, overlayModule: { metacopy: undefined, redirectDir: undefined },
  });

  it('is an error when the engine is down too, since overlay2 will not start there', () => {
    const found = engineChecks(baseFacts({ disk: on('vboxsf') }));
    assert.deepEqual(found.map((f) => [f.id, f.severity]), [['engine/unusable-filesystem', 'error']]);
    assert.match(found[0]!.title, /vboxsf \(a VirtualBox shared folder\)/);
  });

  it('stays silent on ext4', () => {
    assert.deepEqual(engineChecks(baseFacts({ disk: on('ext4') })), []);
  });
});
