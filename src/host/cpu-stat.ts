/** The aggregate `cpu` line of /proc/stat (proc(5)). */

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

