/**
 * Read access to /proc and /sys behind one interface, so parsers and resolvers run on recorded samples in
 * tests and on the live host in production.
 */
import { closeSync, openSync, readSync, readlinkSync, readdirSync } from 'node:fs';

export interface HostFs {
  /** A file's text, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  /** A symlink's target, or undefined when it is not a link. */
  readLink(path: string): string | undefined;
  /** Entry names of a directory, or [] when it does not exist. */
  listDir(path: string): string[];
}

/**
 * One buffer for every read, grown to the largest file read. readFileSync allocates 64 kB for each read of a
 * file whose size stat gives as 0, which is every file in /proc, and watch reads several a second: 100,000
 * reads of /proc/pressure/io grew the process's anonymous memory (glibc's heap, not V8's) by 15.5 MB that way,
 * by 1.0 MB with this buffer.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

function readWhole(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let used = 0;
    for (;;) {
      if (used === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, used);
        scratch = bigger;
      }
      // position null: read on from where the last read ended, as /proc's files want
      const n = readSync(fd, scratch, used, scratch.length - used, null);
      if (n === 0) return scratch.toString('utf8', 0, used);
      used += n;
    }
  } finally {
    closeSync(fd);
  }
}

export const liveHostFs: HostFs = {
  readText(path) {
    try {
      return readWhole(path);
    } catch {
      return undefined;
    }
  },
  readLink(path) {
    try {
      return readlinkSync(path);
    } catch {
      return undefined;
    }
  },
  listDir(path) {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
};

/** A HostFs over a recorded snapshot: `{ "/sys/...": "text" | { link } | { dir: [...] } }`. */
export type RecordedEntry = string | { link: string } | { dir: string[] };

export function recordedHostFs(entries: Record<string, RecordedEntry>): HostFs {
  return {
    readText: (path) => {
      const e = entries[path];
      return typeof e === 'string' ? e : undefined;
    },
    readLink: (path) => {
      const e = entries[path];
      return e && typeof e === 'object' && 'link' in e ? e.link : undefined;
    },
    listDir: (path) => {
      const e = entries[path];
      return e && typeof e === 'object' && 'dir' in e ? e.dir : [];
    },
  };
}
