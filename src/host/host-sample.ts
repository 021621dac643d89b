/** One instant of host I/O state: disk counters, CPU times, tasks in D state and I/O pressure. */
import { blockedTasks, type BlockedTask } from './tasks.js';
import { parseCpuStat, type CpuTimes } from './cpu-stat.js';
import { parseDiskstats, type DiskCounters } from './diskstats.js';
import type { HostFs } from './host-fs.js';
import { parsePressure, type Pressure } from './pressure.js';

export interface HostSample {
  atMs: number;
  disks: Map<string, DiskCounters>;
  cpu: CpuTimes | undefined;
  blocked: BlockedTask[];
  /** I/O pressure stall totals; undefined on kernels without PSI. */
  pressure: Pressure | undefined;
}

export function sampleHost(fs: HostFs, atMs: number): HostSample {
  return {
    atMs,
    disks: parseDiskstats(fs.readText('/proc/diskstats') ?? ''),
    cpu: parseCpuStat(fs.readText('/proc/stat') ?? ''),
    blocked: blockedTasks(fs),
    pressure: parsePressure(fs.readText('/proc/pressure/io')),
  };
}
