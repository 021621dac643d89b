/** Filesystem facts about a path: free space (statfs), directory listings, bounded tree sizes. */
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

/**
 * Bytes of a log file and its rotated siblings (`x-json.log`, `x-json.log.1`, `x-json.log.2.gz`): what a
 * json-file log holds on disk. Apparent size, as `ls -l` and `du --apparent-size` count it.
 */
export async function logFileBytes(path: string): Promise<{ bytes: number; files: number } | undefined> {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const base = path.slice(slash + 1);
  const names = await fsp.readdir(dir).catch(() => undefined);
  if (!names) return undefined;
  let bytes = 0;
  let files = 0;
  for (const name of names) {
    if (name !== base && !name.startsWith(`${base}.`)) continue;
    const st = await fsp.lstat(`${dir}/${name}`).catch(() => undefined);
    if (!st?.isFile()) continue;
    bytes += st.size;
    files++;
  }
  return files ? { bytes, files } : undefined;
}
