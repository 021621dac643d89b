/** Filesystem facts about a path: free space (statfs) and, on XFS, whether ftype (d_type) is on. */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';

export interface SpaceInfo {
  totalBytes: number;
  freeBytes: number;
  /** Free to unprivileged users; what `df` shows as Avail. */
  availableBytes: number;
  totalInodes: number;
  freeInodes: number;
}

export async function spaceOf(path: string): Promise<SpaceInfo> {
  const s = await fsp.statfs(path);
  return {
    totalBytes: s.blocks * s.bsize,
    freeBytes: s.bfree * s.bsize,
    availableBytes: s.bavail * s.bsize,
    totalInodes: s.files,
    freeInodes: s.ffree,
  };
}

/** `ftype=1` in `xfs_info` output means d_type is recorded; 0 breaks overlay2. */
export function parseXfsFtype(text: string): boolean | undefined {
  const m = /ftype=(\d)/.exec(text);
  return m ? m[1] === '1' : undefined;
}

/** Runs `xfs_info MOUNTPOINT`; undefined when the tool is missing or fails. */
export function xfsFtype(mountPoint: string): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile('xfs_info', [mountPoint], { timeout: 5000 }, (err, stdout) => {
      resolve(err ? undefined : parseXfsFtype(String(stdout)));
    });
  });
}

/** Entry names of a directory, [] when missing; used for the driver's layer directories. */
export async function listDirectory(path: string): Promise<string[]> {
  try {
    return await fsp.readdir(path);
  } catch {
    return [];
  }
}

export interface TreeSize {
  bytes: number;
  entries: number;
  /** False when the entry budget ran out before the walk finished: bytes is then a lower bound. */
  complete: boolean;
}

/**
 * Allocated bytes under a path, from lstat only (never file contents), stopping after `maxEntries`
 * so a huge tree cannot turn a quick check into a `du` storm.
 */
export async function treeSize(path: string, maxEntries = 20_000): Promise<TreeSize> {
  const stack = [path];
  let bytes = 0;
  let entries = 0;
  while (stack.length > 0) {
    if (entries >= maxEntries) return { bytes, entries, complete: false };
    const p = stack.pop()!;
    const st = await fsp.lstat(p).catch(() => undefined);
    if (!st) continue;
    entries++;
    bytes += st.blocks * 512;
    if (st.isDirectory()) {
      for (const name of await fsp.readdir(p).catch(() => [] as string[])) stack.push(`${p}/${name}`);
    }
  }
  return { bytes, entries, complete: true };
}

/** Modification time of a path in ms, or undefined when it cannot be read. */
export async function modifiedAt(path: string): Promise<number | undefined> {
  const st = await fsp.stat(path).catch(() => undefined);
  return st?.mtimeMs;
}
