/** /proc/self/mountinfo: which mount holds a path, and its device numbers (proc(5)). */

export interface MountEntry {
  mountId: number;
  parentId: number;
  major: number;
  minor: number;
  root: string;
  mountPoint: string;
  mountOptions: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undoes the octal escapes mountinfo uses for space, tab, newline and backslash. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const [mountId, parentId, devNumbers, root, mountPoint, mountOptions] = left;
    const [major, minor] = (devNumbers ?? '').split(':').map(Number);
    if (mountId === undefined || mountPoint === undefined || major === undefined || minor === undefined) continue;
    entries.push({
      mountId: Number(mountId),
      parentId: Number(parentId),
      major,
      minor,
      root: unescape(root ?? ''),
      mountPoint: unescape(mountPoint),
      mountOptions: mountOptions ?? '',
      fsType: right[0] ?? '',
      source: unescape(right[1] ?? ''),
      superOptions: right[2] ?? '',
    });
  }
  return entries;
}

/** The mount that holds `path` (an absolute, resolved path): the last-mounted longest prefix. */
export function mountFor(path: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const covers = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (covers && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
