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


/** `procs_blocked` of /proc/stat: tasks waiting for I/O to complete right now (what node_exporter exports). */
export function parseProcsBlocked(text: string): number | undefined {
  const m = /^procs_blocked (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}
