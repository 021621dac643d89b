/**
 * /proc/diskstats and the formulas iostat uses (sysstat's iostat.c) to turn two samples into IOPS,
 * throughput, await and utilisation. Field layout: Documentation/admin-guide/iostats.rst.
 */

export interface DiskCounters {
  major: number;
  minor: number;
  name: string;
  readsCompleted: number;
  readsMerged: number;
  sectorsRead: number;
  msReading: number;
  writesCompleted: number;
  writesMerged: number;
  sectorsWritten: number;
  msWriting: number;
  inFlight: number;
  msIoTicks: number;
  msWeighted: number;
}

export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const byName = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.map(Number);
    byName.set(f[2]!, {
      major: n[0]!, minor: n[1]!, name: f[2]!,
      readsCompleted: n[3]!, readsMerged: n[4]!, sectorsRead: n[5]!, msReading: n[6]!,
      writesCompleted: n[7]!, writesMerged: n[8]!, sectorsWritten: n[9]!, msWriting: n[10]!,
      inFlight: n[11]!, msIoTicks: n[12]!, msWeighted: n[13]!,
    });
  }
  return byName;
}

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
