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

export function blockedTasks(fs: HostFs): BlockedTask[] {
  const tasks: BlockedTask[] = [];
  for (const entry of fs.listDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = fs.readText(`/proc/${entry}/stat`);
    const parsed = stat ? parseProcStat(stat) : undefined;
    if (parsed?.state !== 'D') continue;
    const wchan = fs.readText(`/proc/${entry}/wchan`)?.trim();
    tasks.push({ pid: parsed.pid, comm: parsed.comm, wchan: wchan && wchan !== '0' ? wchan : undefined });
  }
  return tasks;
}
