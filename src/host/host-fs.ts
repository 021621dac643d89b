/**
 * Read access to /proc and /sys behind one interface, so parsers and resolvers run on recorded samples in
 * tests and on the live host in production.
 */
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';

export interface HostFs {
  /** A file's text, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  /** A symlink's target, or undefined when it is not a link. */
  readLink(path: string): string | undefined;
  /** Entry names of a directory, or [] when it does not exist. */
  listDir(path: string): string[];
}

export const liveHostFs: HostFs = {
  readText(path) {
    try {
      return readFileSync(path, 'utf8');
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
