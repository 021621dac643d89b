/** One instant of host I/O state: disk counters, CPU times, tasks in D state and I/O pressure. */
import { blockedTasks, type BlockedTask } from './tasks.js';
import { parseCpuStat, parseProcsBlocked, type CpuTimes } from './cpu-stat.js';
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

/**
 * When to scan every thread for D state: `always`, or `if-waiting`, only when /proc/stat counts tasks waiting
 * for I/O (the scan reads two files per thread and is most of a sample's cost; a long-running watcher uses it).
 */
export type TaskScan = 'always' | 'if-waiting';

export function sampleHost(fs: HostFs, atMs: number, scan: TaskScan = 'always'): HostSample {
  const stat = fs.readText('/proc/stat') ?? '';
  const waiting = parseProcsBlocked(stat);
  return {
    atMs,
    disks: parseDiskstats(fs.readText('/proc/diskstats') ?? ''),
    cpu: parseCpuStat(stat),
    blocked: scan === 'always' || waiting === undefined || waiting > 0 ? blockedTasks(fs) : [],
    pressure: parsePressure(fs.readText('/proc/pressure/io')),
  };
}
