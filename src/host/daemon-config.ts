/** The daemon's own config file, read when the engine cannot be asked (dockerd --config-file default). */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { BadInputError } from '../errors.js';
import { liveHostFs, type HostFs } from './host-fs.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
export const DEFAULT_DATA_ROOT = '/var/lib/docker';

export interface DaemonConfig {
  /** Whether the file exists; without it dockerd runs on its defaults. */
  found: boolean;
  dataRoot: string;
  storageDriver: string | undefined;
  /** Set when the file exists but is not valid JSON: dockerd refuses to start then. */
  parseError: string | undefined;
  /** `log-driver` and `log-opts`, the defaults new containers get; undefined when not set. */
  logDriver?: string;
  logOpts?: Record<string, string>;
}

export function readDaemonConfig(fs: HostFs, path = DAEMON_JSON): DaemonConfig {
  const text = fs.readText(path);
  if (text === undefined) return { found: false, dataRoot: DEFAULT_DATA_ROOT, storageDriver: undefined, parseError: undefined };
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const dataRoot = typeof json['data-root'] === 'string' ? json['data-root']
      : typeof json.graph === 'string' ? json.graph : DEFAULT_DATA_ROOT;
    const driver = typeof json['storage-driver'] === 'string' ? json['storage-driver'] : undefined;
    const logOpts = json['log-opts'] && typeof json['log-opts'] === 'object'
      ? Object.fromEntries(Object.entries(json['log-opts'] as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
      : undefined;
    return {
      found: true, dataRoot, storageDriver: driver, parseError: undefined,
      ...(typeof json['log-driver'] === 'string' ? { logDriver: json['log-driver'] } : {}),
      ...(logOpts ? { logOpts } : {}),
    };
  } catch (err) {
    return { found: true, dataRoot: DEFAULT_DATA_ROOT, storageDriver: undefined, parseError: (err as Error).message };
  }
}

/** The daemon.json backup apply writes before its first change (kept: later runs never overwrite it). */
export function daemonJsonBackup(path: string): string {
  return `${path}.stowage-backup`;
}

/**
 * Backs daemon.json up (once: the first backup is the original) and sets data-root, keeping every other key;
 * with `storageDriver`, a `storage-driver` the file sets is changed to it (one it does not set stays unset:
 * dockerd refuses a key that its command line also sets).
 */
export async function setDaemonDataRoot(path: string, dataRoot: string, storageDriver?: string): Promise<void> {
  const text = liveHostFs.readText(path);
  let json: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new BadInputError(`${path} is not valid JSON (${(err as Error).message}): not changed`);
    }
    const backup = daemonJsonBackup(path);
    if (!existsSync(backup)) await writeFileAtomic(backup, text, { keepMode: true });
  }
  delete json.graph;
  json['data-root'] = dataRoot;
  if (storageDriver !== undefined && typeof json['storage-driver'] === 'string') json['storage-driver'] = storageDriver;
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`, { keepMode: text !== undefined });
}
