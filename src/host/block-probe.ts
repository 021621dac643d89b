/**
 * What a block device holds and who uses it, read before anything is written to it: its stable names under
 * /dev/disk, its partitions and holders (LVM, md, dm), mounts and swap on it or its partitions, and the
 * signatures `wipefs` and `blkid` find (filesystem, partition table, LVM, RAID). Read-only: nothing here writes.
 */
import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { BadInputError } from '../errors.js';
import type { DeviceNode } from './block-device.js';
import type { HostFs } from './host-fs.js';
import { parseMountinfo } from './mountinfo.js';
import { hostTools, type ToolRunner } from './tool-runner.js';

export interface DeviceSignature {
  /** Byte offset as wipefs prints it (`0x438`). */
  offset: string;
  type: string;
  uuid?: string;
  label?: string;
}

export interface DeviceMount {
  /** The device or partition mounted (`/dev/loop3`, `/dev/sdb1`). */
  device: string;
  mountPoint: string;
  fsType: string;
  options: string;
}

export interface DeviceProbe {
  /** The path the caller gave. */
  given: string;
  /** The kernel's node, `/dev/NAME`. */
  path: string;
  name: string;
  majorMinor: string;
  kind: 'disk' | 'partition' | 'loop' | 'dm' | 'md';
  sizeBytes: number;
  readOnly: boolean;
  /** Links under /dev/disk that point at it, most stable first (cloud links, by-id, by-path, by-uuid…). */
  stableLinks: string[];
  /** A partition's whole disk (`sdb` for `sdb1`). */
  parentDisk?: string;
  /** Its partitions' names (`sdb1`). */
  partitions: string[];
  /** What holds it or a partition (`dm-0`, `md0`): LVM, md, dm-crypt. */
  holders: string[];
  mounts: DeviceMount[];
  /** Swap areas on it or a partition (`/proc/swaps`). */
  swaps: string[];
  /** `wipefs --no-act` of the device: every signature, partition tables included. */
  signatures: DeviceSignature[];
  /** `blkid -p` of the device: TYPE, PTTYPE, UUID, LABEL… (empty when it finds nothing). */
  blkid: Record<string, string>;
  /** What could not be read (wipefs or blkid denied, failed): a device that cannot be probed is not written. */
  probeErrors: string[];
}

/** `wipefs --json` output: its signatures. */
export function parseWipefsJson(text: string): DeviceSignature[] {
  if (!text.trim()) return [];
  const doc = JSON.parse(text) as { signatures?: { offset?: string; type?: string; uuid?: string | null; label?: string | null }[] };
  return (doc.signatures ?? []).map((s) => ({
    offset: String(s.offset ?? ''),
    type: String(s.type ?? ''),
    ...(s.uuid ? { uuid: s.uuid } : {}),
    ...(s.label ? { label: s.label } : {}),
  }));
}

/** `blkid -o export` output: KEY=value lines. */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The device paths of `/proc/swaps` (its first column, header skipped). */
export function parseSwaps(text: string): string[] {
  return text.split('\n').slice(1).map((l) => l.split(/\s+/)[0] ?? '').filter(Boolean);
}

/**
 * Preference of a /dev/disk directory for naming a device: the cloud's own first, then by-id, by-path. Links
 * that name what is on the disk (by-uuid, by-label, by-part*) vanish when it is wiped, and by-diskseq and the
 * loop links change at every boot or attach: none of them names the disk itself (-1, left out).
 */
function linkRank(link: string): number {
  const dir = link.split('/')[3] ?? '';
  if (/^by-(uuid|label|partuuid|partlabel|diskseq|loop-.*)$/.test(dir)) return -1;
  if (dir === 'by-id') return 1;
  if (dir === 'by-path') return 2;
  return 0; // the cloud's own directories (azure, google, aws)
}

/** Links under /dev/disk (two levels deep: by-id/X, azure/scsi1/lun0) that resolve to `/dev/NAME`. */
export function stableLinksTo(fs: HostFs, name: string, root = '/dev/disk'): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    for (const entry of fs.listDir(dir)) {
      const path = `${dir}/${entry}`;
      const target = fs.readLink(path);
      if (target !== undefined) {
        if (posix.basename(posix.resolve(dir, target)) === name) found.push(path);
      } else if (depth < 3) {
        visit(path, depth + 1);
      }
    }
  };
  visit(root, 0);
  return found.filter((l) => linkRank(l) >= 0).sort((a, b) => linkRank(a) - linkRank(b) || a.localeCompare(b));
}

function kindOf(fs: HostFs, name: string): DeviceProbe['kind'] {
  if (fs.readText(`/sys/class/block/${name}/partition`) !== undefined) return 'partition';
  if (name.startsWith('loop')) return 'loop';
  if (name.startsWith('dm-')) return 'dm';
  if (name.startsWith('md')) return 'md';
  return 'disk';
}

/** The kernel's node for a path given by the user (a link under /dev/disk, or /dev/NAME); bad input otherwise. */
export function resolveDeviceNode(given: string): string {
  let path: string;
  try {
    path = realpathSync(given);
  } catch {
    throw new BadInputError(`device ${given} does not exist`);
  }
  if (!statSync(path).isBlockDevice()) throw new BadInputError(`${given} is not a block device`);
  return path;
}

/** Probes `given` (read-only): sysfs, mountinfo, /proc/swaps, `wipefs --no-act --json`, `blkid -p`. */
export async function probeDevice(given: string, options: { fs: HostFs; tools?: ToolRunner; signal?: AbortSignal }): Promise<DeviceProbe> {
  const { fs } = options;
  const tools = options.tools ?? hostTools;
  const path = resolveDeviceNode(given);
  const name = posix.basename(path);
  const sys = `/sys/class/block/${name}`;
  const majorMinor = fs.readText(`${sys}/dev`)?.trim();
  if (!majorMinor) throw new BadInputError(`${given} (${path}) has no entry in /sys/class/block`);
  const partitions = fs.listDir(`/sys/block/${name}`).filter((e) => e.startsWith(name) && fs.readText(`${sys}/${e}/partition`) !== undefined).sort();
  const partitionNumbers = new Map(partitions.map((p) => [fs.readText(`/sys/class/block/${p}/dev`)?.trim() ?? '', p]));
  const holders = [name, ...partitions].flatMap((n) => fs.listDir(`/sys/class/block/${n}/holders`)).sort();
  const ours = new Set([majorMinor, ...partitionNumbers.keys()]);
  const mounts = parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '')
    .filter((m) => ours.has(`${m.major}:${m.minor}`) || m.source === path || partitions.some((p) => m.source === `/dev/${p}`))
    .map((m) => ({ device: m.source, mountPoint: m.mountPoint, fsType: m.fsType, options: m.mountOptions }));
  const nodes = new Set([path, ...partitions.map((p) => `/dev/${p}`)]);
  const swaps = parseSwaps(fs.readText('/proc/swaps') ?? '').filter((s) => nodes.has(safeRealpath(s)));
  const probeErrors: string[] = [];
  const wipefs = await tools.run({ tool: 'wipefs', args: ['--no-act', '--json', path], timeoutMs: 30_000, check: false, signal: options.signal });
  if (wipefs.code !== 0) probeErrors.push(`wipefs --no-act ${path}: exit ${wipefs.code}: ${wipefs.stderr.trim().split('\n')[0]}`);
  const blkid = await tools.run({ tool: 'blkid', args: ['-p', '-o', 'export', path], timeoutMs: 30_000, check: false, signal: options.signal });
  // blkid exits 2 when it finds nothing to report; anything else but 0 is a failure
  if (blkid.code !== 0 && blkid.code !== 2) probeErrors.push(`blkid -p ${path}: exit ${blkid.code}: ${blkid.stderr.trim().split('\n')[0]}`);
  const sectors = Number(fs.readText(`${sys}/size`)?.trim() ?? '0');
  const kind = kindOf(fs, name);
  const sysLink = fs.readLink(`/sys/class/block/${name}`);
  const parentDisk = kind === 'partition' && sysLink ? posix.basename(posix.dirname(sysLink)) : undefined;
  return {
    given,
    path,
    name,
    majorMinor,
    kind,
    ...(parentDisk ? { parentDisk } : {}),
    sizeBytes: sectors * 512,
    readOnly: fs.readText(`${sys}/ro`)?.trim() === '1',
    stableLinks: stableLinksTo(fs, name),
    partitions,
    holders,
    mounts,
    swaps,
    signatures: wipefs.code === 0 ? parseWipefsJson(wipefs.stdout.toString('utf8')) : [],
    blkid: blkid.code === 0 ? parseBlkidExport(blkid.stdout.toString('utf8')) : {},
    probeErrors,
  };
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Names of every node in the device chain under `path` (its mount's device, partitions' disks, dm/md slaves). */
export function chainNames(node: DeviceNode | undefined): string[] {
  if (!node) return [];
  return [node.name, ...node.parents.flatMap(chainNames)];
}
