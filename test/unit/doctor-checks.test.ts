/** The checks are pure: facts in, findings out. Facts here are shaped like what gather.ts collects. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gp2Model, simulateCredits } from '../../src/measure/burst-model.js';
import { identifyCloudVolume } from '../../src/host/cloud-volume.js';
import { diskChecks } from '../../src/doctor/disk-checks.js';
import { engineChecks, engineReachability } from '../../src/doctor/engine-checks.js';
import { ioChecks } from '../../src/doctor/io-checks.js';
import { selectGroups } from '../../src/doctor/doctor.js';
import type { DoctorFacts, EngineFacts } from '../../src/doctor/facts.js';
import { physicalDisks, resolveDevice } from '../../src/host/block-device.js';
import type { EngineInfo } from '../../src/engine/types.js';
import { reachesThreshold, sortFindings, type Finding } from '../../src/findings.js';
import { UsageError } from '../../src/errors.js';
import { STOWAGE_VERSION } from '../../src/version.js';
import { samplePath, sysfsSample } from '../support/samples.js';

function engineFacts(info: Partial<EngineInfo>): EngineFacts {
  return {
    reachable: true, endpoint: 'unix:///var/run/docker.sock', apiVersion: '1.41',
    version: { version: '20.10.24', apiVersion: '1.41', minApiVersion: '1.12', os: 'linux', arch: 'amd64', kernelVersion: '6.1' },
    info: {
      serverVersion: '20.10.24', name: 'vm', storageDriver: 'overlay2', driverStatus: {}, containerdImageStore: false,
      dockerRootDir: '/var/lib/docker', images: 0, containers: 0, containersRunning: 0, containersStopped: 0,
      cgroupVersion: '1', kernelVersion: '6.1', operatingSystem: 'Debian', warnings: [], ...info,
    },
  };
}

function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    engine: engineFacts({}), daemonConfig: { found: false, dataRoot: '/var/lib/docker', storageDriver: undefined, parseError: undefined },
    dataRoot: '/var/lib/docker', dataRootSource: 'engine', skipped: [], ...over,
  };
}

describe('gp2 burst model', () => {
  it('follows AWS: 3 IOPS/GiB, min 100, 5.4 M credits, burst seconds = credits / (3000 - baseline)', () => {
    const m = gp2Model(100 * 1024 ** 3);
    assert.equal(m.baselineIops, 300);
    assert.equal(m.fullBurstSeconds, 2000);
    assert.equal(gp2Model(20 * 1024 ** 3).baselineIops, 100);
    assert.equal(gp2Model(1000 * 1024 ** 3).fullBurstSeconds, Infinity);
  });

  it('drains at burst and refills below baseline, clamped to the bucket', () => {
    const m = gp2Model(100 * 1024 ** 3);
    const credits = simulateCredits(m, [{ seconds: 1000, iops: 3000 }, { seconds: 1000, iops: 3000 }, { seconds: 10, iops: 0 }]);
    assert.deepEqual(credits, [2_700_000, 0, 3000]);
    assert.deepEqual(simulateCredits(m, [{ seconds: 100, iops: 0 }]), [5_400_000]);
  });
});

describe('cloud volumes', () => {
  it('recognises EBS by model and reads the volume id from the serial', () => {
    const disk = physicalDisks(resolveDevice({ fs: sysfsSample('aws-nvme-ebs-partition'), mounts: [] }, '259:3')!)[0]!;
    assert.deepEqual(identifyCloudVolume(disk), { provider: 'aws', kind: 'ebs', volumeId: 'vol-0a1b2c3d4e5f60718' });
  });

  it('recognises instance store, Azure and GCP disks, and nothing else', () => {
    const base = { name: 'x', sizeBytes: 1, rotational: false, scheduler: undefined, serial: undefined };
    assert.equal(identifyCloudVolume({ ...base, model: 'Amazon EC2 NVMe Instance Storage', vendor: undefined })?.kind, 'instance-store');
    assert.equal(identifyCloudVolume({ ...base, model: 'Virtual Disk', vendor: 'Msft' })?.provider, 'azure');
    assert.equal(identifyCloudVolume({ ...base, model: 'PersistentDisk', vendor: 'Google' })?.kind, 'persistent-disk');
    assert.equal(identifyCloudVolume({ ...base, model: 'nvme_card', vendor: undefined })?.kind, 'local-ssd');
    assert.equal(identifyCloudVolume({ ...base, model: 'Samsung SSD 870', vendor: 'ATA' }), undefined);
  });

  it('a 100 GiB EBS volume under data-root is a burst-credit finding with the figures and the fix', () => {
    const device = resolveDevice({ fs: sysfsSample('aws-nvme-ebs-partition'), mounts: [] }, '259:3')!;
    const findings = diskChecks(facts({
      disk: { mount: undefined, device, disks: physicalDisks(device), space: undefined, dtype: undefined, sharesRootFs: false, overlayModule: { metacopy: false, redirectDir: false } },
    }));
    const f = findings.find((x) => x.id === 'disk/burst-credits');
    assert.ok(f);
    assert.equal(f.severity, 'warn');
    assert.equal(f.evidence.find((e) => e.label === 'gp2 baseline')?.value, 300);
    assert.equal(f.evidence.find((e) => e.label === 'full bucket lasts at burst rate')?.value, 2000);
    assert.ok(f.fix?.commands?.some((c) => c.includes('modify-volume --volume-id vol-0a1b2c3d4e5f60718 --volume-type gp3')));
    assert.equal(f.subject.id, 'nvme1n1');
  });

  it('a spinning disk under LVM is named', () => {
    const device = resolveDevice({ fs: sysfsSample('lvm-on-partition'), mounts: [] }, '253:0')!;
    const findings = diskChecks(facts({
      disk: { mount: undefined, device, disks: physicalDisks(device), space: { totalBytes: 100e9, freeBytes: 3e9, availableBytes: 3e9, totalInodes: 100, freeInodes: 50 }, dtype: undefined, sharesRootFs: false, overlayModule: { metacopy: false, redirectDir: false } },
    }));
    assert.deepEqual(findings.map((f) => [f.id, f.severity]), [['disk/rotational', 'warn'], ['disk/low-space', 'error']]);
  });
});

describe('engine checks', () => {
  it('names each engine failure with its own id', () => {
    const [f] = engineReachability({ reachable: false, endpoint: 'unix:///x.sock', failure: 'permission-denied', message: 'permission denied on /x.sock', hint: 'add yourself to docker' });
    assert.equal(f?.id, 'engine/permission-denied');
    assert.equal(f?.severity, 'error');
    assert.deepEqual(engineReachability(engineFacts({})), []);
  });

  it('flags deprecated drivers, devicemapper on loop files, and missing d_type', () => {
    const dm = engineChecks(facts({ engine: engineFacts({ storageDriver: 'devicemapper', driverStatus: { 'Data loop file': '/var/lib/docker/devicemapper/devicemapper/data' } }) }));
    assert.deepEqual(dm.map((f) => f.id), ['engine/deprecated-driver', 'engine/devicemapper-loop']);
    const noDtype = engineChecks(facts({ engine: engineFacts({ driverStatus: { 'Backing Filesystem': 'xfs', 'Supports d_type': 'false' } }) }));
    assert.deepEqual(noDtype.map((f) => [f.id, f.severity]), [['engine/no-dtype', 'error']]);
    const noDtypeDisk = { mount: undefined, device: undefined, disks: [], space: undefined, dtype: { supported: false, evidence: 'xfs_info: ftype=0' }, sharesRootFs: false, overlayModule: { metacopy: false, redirectDir: false } };
    const probed = engineChecks(facts({ engine: engineFacts({ driverStatus: { 'Backing Filesystem': 'xfs' } }), disk: noDtypeDisk }));
    assert.deepEqual(probed.map((f) => f.id), ['engine/no-dtype']);
    assert.deepEqual(probed[0]?.evidence.find((e) => e.label === 'probe'), { label: 'probe', value: 'xfs_info: ftype=0' });
    const fellBack = engineChecks(facts({ engine: engineFacts({ storageDriver: 'vfs' }), disk: noDtypeDisk }));
    assert.deepEqual(fellBack.map((f) => [f.id, f.severity]), [['engine/vfs-driver', 'error']]);
    assert.match(fellBack[0]!.title, /fell back to the vfs driver because .* no d_type/);
    const down = engineChecks(facts({ engine: { reachable: false, endpoint: 'unix:///x', failure: 'not-running', message: 'm', hint: 'h' }, disk: noDtypeDisk }));
    assert.deepEqual(down.map((f) => f.id), ['engine/no-dtype']);
    assert.deepEqual(engineChecks(facts({ engine: engineFacts({ storageDriver: 'aufs' }) })).map((f) => f.id), ['engine/deprecated-driver']);
    assert.deepEqual(engineChecks(facts({ engine: engineFacts({ storageDriver: 'vfs' }) })).map((f) => f.id), ['engine/vfs-driver']);
    const noDiff = engineChecks(facts({
      engine: engineFacts({ driverStatus: { 'Native Overlay Diff': 'false' } }),
      disk: { mount: undefined, device: undefined, disks: [], space: undefined, dtype: undefined, sharesRootFs: false, overlayModule: { metacopy: true, redirectDir: false } },
    }));
    assert.deepEqual(noDiff.map((f) => f.id), ['engine/no-native-diff']);
    assert.deepEqual(noDiff[0]?.evidence.find((e) => e.label === 'overlay metacopy'), { label: 'overlay metacopy', value: true });
    assert.deepEqual(engineChecks(facts({ daemonConfig: { found: true, dataRoot: '/var/lib/docker', storageDriver: undefined, parseError: 'Unexpected end' } })).map((f) => f.id), ['engine/daemon-config-invalid']);
  });
});

describe('io checks', () => {
  const io = (latenciesMs: number[], totalMs: number, timedOut = false) => facts({
    io: {
      windowMs: 1000, rates: [], iowaitPercent: 1, stuckTasks: [], blockedNow: 0, syncWriteError: undefined,
      syncWrite: { directory: '/var/lib/docker', writes: 10, blockBytes: 1 << 20, latenciesMs, totalMs, timedOut },
    },
  });

  it('an unfinished or > 5 s probe is an error, a slow p99 a warning, a quick one nothing', () => {
    assert.deepEqual(ioChecks(io([900, 900, 900], 20_000, true)).map((f) => [f.id, f.severity]), [['io/slow-sync-write', 'error']]);
    assert.deepEqual(ioChecks(io(Array(10).fill(600), 6000)).map((f) => f.severity), ['error']);
    assert.deepEqual(ioChecks(io([...Array(9).fill(5), 800], 845)).map((f) => f.severity), ['warn']);
    assert.deepEqual(ioChecks(io(Array(10).fill(5), 50)), []);
  });

  it('names tasks stuck in D state with their wchan, and high iowait', () => {
    const f = facts({ io: { windowMs: 1000, rates: [], iowaitPercent: 64, stuckTasks: [{ pid: 9, comm: 'dd', wchan: 'rq_qos_wait' }], blockedNow: 1, syncWrite: undefined, syncWriteError: undefined } });
    const found = ioChecks(f);
    assert.deepEqual(found.map((x) => x.id), ['io/high-iowait', 'io/stuck-tasks']);
    assert.deepEqual(found[1]?.evidence[0], { label: 'pid 9 dd', value: 'rq_qos_wait' });
  });

  it('a probe whose first write never returned counts its whole time as the p99', () => {
    const [f] = ioChecks(io([], 20_000, true));
    assert.equal(f?.evidence.find((e) => e.label === 'p99 write')?.value, 20_000);
  });
});

describe('groups, thresholds, order', () => {
  it('selects groups with --only and --skip, and rejects unknown ones', () => {
    assert.deepEqual(selectGroups(['io', 'disk']), ['disk', 'io']);
    assert.deepEqual(selectGroups([], ['io', 'images']), ['engine', 'disk', 'space', 'clutter']);
    assert.throws(() => selectGroups(['nope']), UsageError);
  });

  it('--fail-on compares severities, and findings sort most severe first', () => {
    const f = (id: string, severity: Finding['severity']): Finding => ({ id, severity, title: id, evidence: [], subject: { kind: 'host', id: 'h' } });
    const list = [f('b', 'info'), f('a', 'warn')];
    assert.equal(reachesThreshold(list, 'warn'), true);
    assert.equal(reachesThreshold(list, 'error'), false);
    assert.deepEqual(sortFindings([...list, f('c', 'error')]).map((x) => x.id), ['c', 'a', 'b']);
  });

  it('keeps the version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(samplePath('../../package.json'), 'utf8'));
    assert.equal(STOWAGE_VERSION, pkg.version);
  });
});
