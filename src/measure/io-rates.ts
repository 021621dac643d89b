/**
 * Rates between two host samples: iostat's formulas (sysstat's iostat.c) for a block device, iowait and CPU
 * busy shares from /proc/stat, and the PSI share. host/ reads the counters; this turns them into rates, once,
 * for bench, doctor and watch.
 */
import type { CpuTimes } from '../host/cpu-stat.js';
import type { DiskCounters } from '../host/diskstats.js';
import type { HostSample } from '../host/host-sample.js';
import type { Pressure } from '../host/pressure.js';

export interface IoRates {
  device: string;
  intervalMs: number;
  readIops: number;
  writeIops: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  /** Mean time a read/write spent queued and serviced, ms (iostat r_await / w_await). */
  readAwaitMs: number;
  writeAwaitMs: number;
  /** Share of the interval the device had I/O in flight, percent (iostat %util). */
  utilPercent: number;
  /** Average queue length (iostat aqu-sz). */
  queueDepth: number;
}

/** iostat's formulas over two samples of one device taken `intervalMs` apart. */
export function ioRates(before: DiskCounters, after: DiskCounters, intervalMs: number): IoRates {
  const d = (k: keyof DiskCounters) => Math.max(0, (after[k] as number) - (before[k] as number));
  const secs = intervalMs / 1000;
  const reads = d('readsCompleted');
  const writes = d('writesCompleted');
  return {
    device: after.name,
    intervalMs,
    readIops: reads / secs,
    writeIops: writes / secs,
    readBytesPerSec: (d('sectorsRead') * 512) / secs,
    writeBytesPerSec: (d('sectorsWritten') * 512) / secs,
    readAwaitMs: reads ? d('msReading') / reads : 0,
    writeAwaitMs: writes ? d('msWriting') / writes : 0,
    utilPercent: Math.min(100, (d('msIoTicks') / intervalMs) * 100),
    queueDepth: d('msWeighted') / intervalMs,
  };
}

/**
 * Rates of each named device between two host samples (devices missing from either sample are left out);
 * the interval is the samples' distance, at least 1 ms. doctor (its window) and the sampler (each tick) share it.
 */
export function sampleRates(before: HostSample, after: HostSample, devices: Iterable<string>): IoRates[] {
  const ms = Math.max(1, after.atMs - before.atMs);
  const out: IoRates[] = [];
  for (const name of devices) {
    const a = before.disks.get(name);
    const b = after.disks.get(name);
    if (a && b) out.push(ioRates(a, b, ms));
  }
  return out;
}

/** Percent of CPU time spent waiting for I/O between two samples. */
export function iowaitPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  return total > 0 ? ((after.iowait - before.iowait) / total) * 100 : 0;
}

/** Percent of CPU time spent neither idle nor waiting for I/O between two samples. */
export function cpuBusyPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.max(0, 100 - ((after.idle - before.idle + after.iowait - before.iowait) / total) * 100);
}

/** Percent of the interval in which some task waited on I/O (PSI "some"). */
export function pressurePercent(before: Pressure, after: Pressure, intervalMs: number): number {
  return Math.min(100, Math.max(0, ((after.someTotalUs - before.someTotalUs) / 1000 / intervalMs) * 100));
}
