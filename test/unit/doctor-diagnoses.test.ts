/** doctor's diagnoses that issue 20 found wrong, on recorded samples: facts in, findings out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { busyDevices, windowRates } from '../../src/doctor/gather.js';
import { ioChecks } from '../../src/doctor/io-checks.js';
import type { DiskFacts } from '../../src/doctor/facts.js';
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
