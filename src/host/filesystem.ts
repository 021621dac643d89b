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
