/** doctor's diagnoses that issue 20 found wrong, on recorded samples: facts in, findings out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { busyDevices, windowRates } from '../../src/doctor/gather.js';
import { diskChecks } from '../../src/doctor/disk-checks.js';
import { ioChecks } from '../../src/doctor/io-checks.js';
import type { ContainerLog, DiskFacts } from '../../src/doctor/facts.js';
import { spaceChecks } from '../../src/doctor/space-checks.js';
import type { DeviceNode } from '../../src/host/block-device.js';
import { parseDiskstats } from '../../src/host/diskstats.js';
import type { HostSample } from '../../src/host/host-sample.js';
import { readSample } from '../support/samples.js';
import { baseFacts } from './doctor-fixture.js';


const dir = 'proc/busy-loop-device';
const sample = (file: string, atMs: number): HostSample => ({
  atMs, disks: parseDiskstats(readSample(`${dir}/${file}`)), cpu: undefined, blocked: [], pressure: undefined,
});
const windowMs = Number(readSample(`${dir}/window-ms`));
const before = sample('diskstats.before', 0);
const after = sample('diskstats.after', windowMs);
const wholeDevices = readSample(`${dir}/sysblock`).split('\n').filter(Boolean);

const diskOn = (name: string, majorMinor: string, kind: DeviceNode['kind']): DiskFacts => ({
  mount: undefined,
  device: { name, majorMinor, kind, parents: [] },
  disks: kind === 'disk' ? [{ name, sizeBytes: 1, rotational: false, scheduler: 'none', model: undefined, vendor: undefined, serial: undefined }] : [],
  space: undefined, dtype: undefined, sharesRootFs: false, overlayModule: { metacopy: undefined, redirectDir: undefined },
});

function iowaitAt(disk: DiskFacts, iowaitPercent: number, devices = busyDevices(before, after, wholeDevices)) {
  const facts = baseFacts({
    disk,
    io: {
      windowMs, rates: windowRates(before, after, disk), devices, iowaitPercent,
      stuckTasks: [], blockedNow: 0, syncWrite: undefined, syncWriteError: undefined,
    },
  });
  return ioChecks(facts).find((f) => f.id === 'io/high-iowait');
}

describe('io/high-iowait names the device that was busy', () => {
  it('measures every whole device over the window: loop1 (fio) busiest, vda light', () => {
    const devices = busyDevices(before, after, wholeDevices);
    assert.equal(devices[0]?.device, 'loop1');
    // (1644 ms of I/O ticks) / (2193 ms) from the recorded counters
    assert.ok(Math.abs(devices[0]!.utilPercent - (1644 / windowMs) * 100) < 0.01);
    const vda = devices.find((d) => d.device === 'vda');
    assert.ok(vda && vda.utilPercent < 20, `vda is light: ${vda?.utilPercent}`);
    assert.ok(!devices.some((d) => d.device === 'zram0'), 'idle devices are left out');
  });

  it('says the waiting was not on data-root\'s disk when another device was busy', () => {
    const f = iowaitAt(diskOn('vda', '254:0', 'disk'), 35);
    assert.ok(f);
    assert.match(f.title, /CPUs spent 35% .* waiting for I\/O, on loop1 \(75% busy\): not on data-root's vda, which was idle/);
    assert.deepEqual(f.subject, { kind: 'device', id: 'loop1' });
    assert.match(f.fix?.summary ?? '', /not Docker storage's: find the processes doing I\/O on loop1/);
    assert.doesNotMatch(f.fix?.summary ?? '', /vda/);
    assert.ok(f.evidence.some((e) => e.label === 'loop1 utilisation (not under data-root)'));
    assert.ok(f.evidence.some((e) => e.label === 'vda utilisation (under data-root)'));
  });

  it('blames data-root\'s device when it is the busy one', () => {
    const f = iowaitAt(diskOn('loop1', '7:1', 'loop'), 35);
    assert.ok(f);
    assert.match(f.title, /with data-root's loop1 \(75% busy\) busy$/);
    assert.deepEqual(f.subject, { kind: 'device', id: 'loop1' });
  });

  it('says no disk explains it when none was busy', () => {
    const quiet = busyDevices(before, after, wholeDevices).filter((d) => d.device !== 'loop1');
    const f = iowaitAt(diskOn('vda', '254:0', 'disk'), 35, quiet);
    assert.ok(f);
    assert.match(f.title, /but no block device was busy: not data-root's vda/);
    assert.match(f.fix?.summary ?? '', /NFS/);
  });

  it('stays silent under the iowait threshold', () => {
    assert.equal(iowaitAt(diskOn('vda', '254:0', 'disk'), 5), undefined);
  });
});

describe('space/container-logs thresholds', () => {
  const log = (name: string, bytes: number, bounded: boolean): ContainerLog => ({
    id: name, name, state: 'running', driver: 'json-file', maxSize: bounded ? '10m' : undefined, maxFile: undefined,
    bounded, path: `/var/lib/docker/containers/${name}/${name}-json.log`, bytes,
  });
  const run = (containers: ContainerLog[], fsBytes = 0) => spaceChecks(baseFacts({
    logs: {
      defaultDriver: 'json-file', defaultOpts: undefined, containers,
      totalBytes: containers.reduce((n, l) => n + l.bytes, 0),
      unboundedBytes: containers.filter((l) => !l.bounded).reduce((n, l) => n + l.bytes, 0),
    },
    ...(fsBytes ? { disk: { ...diskOn('vda', '254:0', 'disk'), space: { totalBytes: fsBytes, freeBytes: 0, availableBytes: 0, totalInodes: 0, freeInodes: 0 } } } : {}),
  })).filter((f) => f.id === 'space/container-logs');

  it('says nothing under 1 MiB of unbounded logs, or when every log is capped', () => {
    assert.deepEqual(run([log('a', 1024 * 1024 - 1, false)]), []);
    assert.deepEqual(run([log('a', 5e9, true)]), []);
  });
  it('is info from 1 MiB, warn from 1 GB or a tenth of the filesystem', () => {
    assert.deepEqual(run([log('a', 1024 * 1024, false)]).map((f) => f.severity), ['info']);
    assert.deepEqual(run([log('a', 6e8, false), log('b', 4e8, false), log('c', 9e9, true)]).map((f) => f.severity), ['warn']);
    assert.deepEqual(run([log('a', 2e6, false)], 1e7).map((f) => f.severity), ['warn']);
  });
  it('names the largest unbounded logs first, with a truncate command for each of the top three', () => {
    const [f] = run([log('small', 2e6, false), log('big', 8e6, false), log('capped', 9e6, true)]);
    assert.ok(f);
    assert.deepEqual(f.evidence.filter((e) => e.label.includes('json-file')).map((e) => e.label),
      ['big (running, json-file, no max-size)', 'small (running, json-file, no max-size)']);
    assert.deepEqual(f.fix?.commands?.slice(0, 2), ['truncate -s 0 /var/lib/docker/containers/big/big-json.log', 'truncate -s 0 /var/lib/docker/containers/small/small-json.log']);
  });
});

describe('disk/rotational advises only what would change', () => {
  const spinning = (scheduler: string | undefined) => diskChecks(baseFacts({
    disk: { ...diskOn('sda', '8:0', 'disk'), disks: [{ name: 'sda', sizeBytes: 4e12, rotational: true, scheduler, model: 'ST4000', vendor: 'ATA', serial: undefined }] },
  })).find((f) => f.id === 'disk/rotational');

  it('says nothing of the scheduler when the disk already uses mq-deadline or bfq', () => {
    for (const s of ['mq-deadline', 'bfq']) {
      const f = spinning(s);
      assert.equal(f?.fix?.summary, 'Move data-root to an SSD.', s);
      assert.equal(f?.fix?.commands, undefined);
      assert.ok(f?.evidence.some((e) => e.label === 'sda scheduler' && e.value === s));
    }
  });
  it('advises mq-deadline, with the command, where it runs none', () => {
    const f = spinning('none');
    assert.match(f?.fix?.summary ?? '', /sda uses none: on a spinning disk mq-deadline/);
    assert.deepEqual(f?.fix?.commands, ['echo mq-deadline > /sys/block/sda/queue/scheduler']);
  });
  it('does not guess when the scheduler is unknown', () => {
    assert.equal(spinning(undefined)?.fix?.summary, 'Move data-root to an SSD.');
  });
});
