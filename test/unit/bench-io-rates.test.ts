/** measure/io-rates.ts on recorded /proc samples: the one rate computation bench, doctor and watch share. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDiskstats } from '../../src/host/diskstats.js';
import { parseCpuStat } from '../../src/host/cpu-stat.js';
import type { HostSample } from '../../src/host/host-sample.js';
import { cpuBusyPercent, ioRates, iowaitPercent, pressurePercent, sampleRates } from '../../src/measure/io-rates.js';

const sample = (name: string) => readFileSync(fileURLToPath(new URL(`../../../test/samples/bench/${name}`, import.meta.url)), 'utf8');

function hostSample(atMs: number, diskstats: string, stat: string): HostSample {
  return { atMs, disks: parseDiskstats(diskstats), cpu: parseCpuStat(stat), blocked: [], pressure: undefined };
}

describe('sampleRates', () => {
  const a = hostSample(10_000, sample('diskstats-a.txt'), sample('stat-a.txt'));
  const b = hostSample(11_000, sample('diskstats-b.txt'), sample('stat-b.txt'));

  it('gives iostat rates for each named device over the samples\' distance, leaving out unknown devices', () => {
    const names = [...b.disks.keys()].filter((n) => a.disks.has(n)).slice(0, 2);
    assert.ok(names.length >= 1, 'the recorded samples hold devices');
    const rates = sampleRates(a, b, [...names, 'nosuchdev']);
    assert.deepEqual(rates.map((r) => r.device), names);
    for (const r of rates) {
      assert.deepEqual(r, ioRates(a.disks.get(r.device)!, b.disks.get(r.device)!, 1000));
      const d = (k: 'writesCompleted' | 'sectorsWritten') => b.disks.get(r.device)![k] - a.disks.get(r.device)![k];
      // the oracle is the counters themselves: completed writes per second, 512-byte sectors per second
      assert.equal(r.writeIops, d('writesCompleted'));
      assert.equal(r.writeBytesPerSec, d('sectorsWritten') * 512);
    }
  });

  it('never divides by a zero interval', () => {
    const [r] = sampleRates(a, { ...b, atMs: a.atMs }, [...b.disks.keys()].filter((n) => a.disks.has(n)).slice(0, 1));
    assert.equal(r?.intervalMs, 1);
  });

  it('computes iowait, CPU busy and PSI shares from two readings', () => {
    const cpuA = { total: 1000, idle: 600, iowait: 100 };
    const cpuB = { total: 2000, idle: 1100, iowait: 300 };
    assert.equal(iowaitPercent(cpuA, cpuB), 20);
    assert.equal(cpuBusyPercent(cpuA, cpuB), 30);
    assert.equal(pressurePercent({ someTotalUs: 0, fullTotalUs: undefined }, { someTotalUs: 250_000, fullTotalUs: undefined }, 1000), 25);
    assert.ok(a.cpu && b.cpu && iowaitPercent(a.cpu, b.cpu) >= 0);
  });
});
