/** /proc/diskstats parsed into counters per device. Field layout: Documentation/admin-guide/iostats.rst. */

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

