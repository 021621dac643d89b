/** The host sampler on recorded /proc samples, stepped by an injected clock. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Sampler, resolveDataRootDevice, toDeviceSample } from '../../src/measure/sampler.js';
import { sampleHost } from '../../src/host/host-sample.js';
import type { HostFs } from '../../src/host/host-fs.js';
import { recordedHostFs } from '../../src/host/host-fs.js';
import { TestClock } from '../../src/clock.js';
import { parsePressure } from '../../src/host/pressure.js';

const sample = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/samples/bench/${name}`, import.meta.url)), 'utf8');

/** Host state that moves from recording a to recording b; one D-state task appears in b. */
function steppingFs(step: () => number): HostFs {
  const a = { '/proc/diskstats': sample('diskstats-a.txt'), '/proc/stat': sample('stat-a.txt'), '/proc': { dir: ['1'] }, '/proc/1/stat': '1 (init) S 0' };
  const b = {
    '/proc/diskstats': sample('diskstats-b.txt'), '/proc/stat': sample('stat-b.txt'), '/proc': { dir: ['1', '812'] },
    '/proc/1/stat': '1 (init) S 0', '/proc/812/stat': '812 (jbd2/vda-8) D 2 0', '/proc/812/wchan': 'jbd2_journal_commit_transaction',
  };
  return {
    readText: (p) => recordedHostFs(step() === 0 ? a : b).readText(p),
    readLink: () => undefined,
    listDir: (p) => recordedHostFs(step() === 0 ? a : b).listDir(p),
  };
}

describe('toDeviceSample', () => {
  it('applies iostat formulas and iowait to two recorded samples', () => {
    let step = 0;
    const fs = steppingFs(() => step);
    const before = sampleHost(fs, 10_000);
    step = 1;
    const after = sampleHost(fs, 11_000);
    const s = toDeviceSample(before, after, 'vda', 10_000);
    // vda: writes 178864 -> 179560, ms writing 32252 -> 32280, sectors 4064800 -> 4068720, io ticks 21628 -> 21664
    assert.equal(s.tMs, 1000);
    assert.equal(s.writeIops, 179560 - 178864);
    assert.equal(s.writeBytesPerSec, (4068720 - 4064800) * 512);
    assert.ok(Math.abs(s.writeAwaitMs - 28 / 696) < 1e-9);
    assert.ok(Math.abs(s.utilPercent - 3.6) < 1e-9);
    // cpu: iowait 17600 -> 17602 over 209 jiffies in all
    assert.ok(Math.abs(s.iowaitPercent - (2 / 209) * 100) < 1e-9);
    assert.equal(s.blockedTasks, 1);
    assert.deepEqual(s.blocked, ['jbd2/vda-8[812] jbd2_journal_commit_transaction']);
    assert.equal(s.ioPressurePercent, undefined, 'no PSI recorded');
    // busy = all but idle and iowait: (209 - 128 - 2) / 209
    assert.ok(Math.abs(s.cpuBusyPercent - ((209 - 128 - 2) / 209) * 100) < 1e-9);
  });

  it('turns cumulative PSI into the share of the interval some task waited', () => {
    const psiA = 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=400000\n';
    const psiB = 'some avg10=9.00 avg60=1.00 avg300=0.00 total=1250000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n';
    assert.deepEqual(parsePressure(psiA), { someTotalUs: 1_000_000, fullTotalUs: 400_000 });
    assert.equal(parsePressure('garbage'), undefined);
    let step = 0;
    const fs = steppingFs(() => step);
    const a = { ...sampleHost(fs, 0), pressure: parsePressure(psiA) };
    step = 1;
    const b = { ...sampleHost(fs, 1000), pressure: parsePressure(psiB) };
    assert.equal(toDeviceSample(a, b, 'vda', 0).ioPressurePercent, 25);
  });

  it('reports zero rates when the device is unknown, but still iowait', () => {
    let step = 0;
    const fs = steppingFs(() => step);
    const before = sampleHost(fs, 0);
    step = 1;
    const s = toDeviceSample(before, sampleHost(fs, 1000), undefined, 0);
    assert.equal(s.writeIops, 0);
    assert.ok(s.iowaitPercent > 0);
  });
});

describe('Sampler', () => {
  it('takes one sample per interval of the injected clock and stops cleanly', async () => {
    const clock = new TestClock();
    let ticks = 0;
    const fs = steppingFs(() => ticks % 2);
    const sampler = new Sampler(fs, 'vda', clock, 1000, 0);
    sampler.start();
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      ticks++;
      clock.advance(1000);
    }
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    await sampler.stop();
    assert.deepEqual(clock.sleeps, [1000, 1000, 1000, 1000], 'one sleep per interval, the last cut short by stop');
    assert.deepEqual(sampler.samples.map((s) => s.tMs), [1000, 2000, 3000, 3500]);
    assert.equal(sampler.samples[0]!.writeIops, 696, 'a -> b');
    assert.equal(sampler.samples[3]!.intervalMs, 500);
  });
});

describe('resolveDataRootDevice', () => {
  it('follows the data-root to its loop device and the disk under the backing file', () => {
    const fs = recordedHostFs({
      '/proc/self/mountinfo': [
        '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
        '90 22 7:3 / /srv/docker rw,relatime shared:40 - ext4 /dev/loop3 rw',
      ].join('\n'),
      '/sys/dev/block/7:3': { link: '../../devices/virtual/block/loop3' },
      '/sys/class/block/loop3/loop/backing_file': '/var/disks/docker.img\n',
      '/sys/dev/block/254:0': { link: '../../devices/pci0000:00/0000:00:05.0/virtio2/block/vda' },
      '/sys/class/block/vda/size': '536870912\n',
    });
    const d = resolveDataRootDevice(fs, '/srv/docker/data');
    assert.equal(d.device, 'loop3');
    assert.equal(d.majorMinor, '7:3');
    assert.equal(d.chain, 'loop3 (file /var/disks/docker.img) -> vda');
    assert.equal(d.disk?.name, 'vda');
    assert.equal(d.disk?.sizeBytes, 536870912 * 512);
  });

  it('has no device for a data-root on overlay or tmpfs', () => {
    const fs = recordedHostFs({ '/proc/self/mountinfo': '22 1 0:21 / / rw - overlay overlay rw\n' });
    const d = resolveDataRootDevice(fs, '/var/lib/docker');
    assert.equal(d.device, undefined);
    assert.equal(d.fsType, 'overlay');
  });
});
