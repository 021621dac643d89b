/** Tasks in uninterruptible sleep (state D) and the kernel function each waits in. */
import type { HostFs } from './host-fs.js';

export interface BlockedTask {
  pid: number;
  comm: string;
  wchan: string | undefined;
}

/** Parses /proc/PID/stat: `pid (comm) state ...`; comm may hold spaces and parentheses. */
export function parseProcStat(text: string): { pid: number; comm: string; state: string } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const state = text.slice(close + 2, close + 3);
  return Number.isFinite(pid) && state ? { pid, comm: text.slice(open + 1, close), state } : undefined;
}

/** Every thread in D state: dockerd's and containerd's worker threads block on I/O, not their main thread. */
export function blockedTasks(fs: HostFs): BlockedTask[] {
  const tasks: BlockedTask[] = [];
  for (const pid of fs.listDir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const threads = fs.listDir(`/proc/${pid}/task`);
    for (const tid of threads.length ? threads : [pid]) {
      const dir = threads.length ? `/proc/${pid}/task/${tid}` : `/proc/${pid}`;
      const stat = fs.readText(`${dir}/stat`);
      const parsed = stat ? parseProcStat(stat) : undefined;
      if (parsed?.state !== 'D') continue;
      const wchan = fs.readText(`${dir}/wchan`)?.trim();
      tasks.push({ pid: parsed.pid, comm: parsed.comm, wchan: wchan && wchan !== '0' ? wchan : undefined });
    }
  }
  return tasks;
}
