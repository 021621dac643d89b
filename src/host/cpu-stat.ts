/** The aggregate `cpu` line of /proc/stat, and iowait between two samples (proc(5)). */

export interface CpuTimes {
  total: number;
  idle: number;
  iowait: number;
}

export function parseCpuStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { total, idle: v[3] ?? 0, iowait: v[4] ?? 0 };
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
