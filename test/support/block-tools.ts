/** The system's own readers of block devices and mounts, the oracle of the provisioning tests. */
import { spawnSync } from 'node:child_process';

/** `blkid -p -o export`: TYPE, UUID, LABEL… of what the device holds; empty when it holds nothing. */
export function blkid(device: string): Record<string, string> {
  const r = spawnSync('blkid', ['-p', '-o', 'export', device], { encoding: 'utf8' });
  return Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** findmnt's answer for a mount point, or undefined when nothing is mounted there. */
export function findmnt(target: string): { source: string; fstype: string; options: string } | undefined {
  const r = spawnSync('findmnt', ['--json', '-o', 'SOURCE,FSTYPE,OPTIONS', '--mountpoint', target], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { filesystems: { source: string; fstype: string; options: string }[] }).filesystems[0];
}
