/**
 * Resolves the block device under a filesystem through sysfs: major:minor -> /sys/dev/block link,
 * partition -> its disk, dm and md -> their slaves, loop -> its backing file (and that file's device).
 */
import { posix } from 'node:path';
import type { HostFs } from './host-fs.js';
import { mountFor, type MountEntry } from './mountinfo.js';

export type DeviceKind = 'disk' | 'partition' | 'dm' | 'md' | 'loop';

export interface DiskAttributes {
  name: string;
  sizeBytes: number | undefined;
  rotational: boolean | undefined;
  /** The active I/O scheduler, from `none [mq-deadline] kyber`. */
  scheduler: string | undefined;
  model: string | undefined;
  vendor: string | undefined;
  serial: string | undefined;
}

export interface DeviceNode {
  name: string;
  majorMinor: string;
  kind: DeviceKind;
  /** dm/md name (`vg0-docker`), or a loop device's backing file. */
  detail?: string;
  /** What this node sits on: a partition's disk, dm/md slaves, a loop file's device. */
  parents: DeviceNode[];
  /** Set on whole disks only. */
  disk?: DiskAttributes;
}

export function parseScheduler(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /\[([^\]]+)\]/.exec(text);
  return m?.[1] ?? (text.trim() || undefined);
}

const clean = (text: string | undefined) => {
  const t = text?.replace(/\0/g, '').trim();
  return t ? t : undefined;
};

/** Reads the attributes of a whole disk by name. */
export function diskAttributes(fs: HostFs, name: string): DiskAttributes {
  const base = `/sys/class/block/${name}`;
  const sectors = clean(fs.readText(`${base}/size`));
  const rotational = clean(fs.readText(`${base}/queue/rotational`));
  return {
    name,
    sizeBytes: sectors === undefined ? undefined : Number(sectors) * 512,
    rotational: rotational === undefined ? undefined : rotational === '1',
    scheduler: parseScheduler(fs.readText(`${base}/queue/scheduler`)),
    model: clean(fs.readText(`${base}/device/model`)),
    vendor: clean(fs.readText(`${base}/device/vendor`)),
    serial: clean(fs.readText(`${base}/device/serial`)) ?? clean(fs.readText(`${base}/serial`)),
  };
}

export interface ResolveContext {
  fs: HostFs;
  mounts: readonly MountEntry[];
}

/** Resolves a device by major:minor into a tree whose leaves are whole disks (or unresolved files). */
export function resolveDevice(ctx: ResolveContext, majorMinor: string, depth = 0): DeviceNode | undefined {
  if (depth > 8) return undefined; // a loop of loops; real stacks are never this deep
  const link = ctx.fs.readLink(`/sys/dev/block/${majorMinor}`);
  if (!link) return undefined;
  const name = posix.basename(link);
  if (ctx.fs.readText(`/sys/class/block/${name}/partition`) !== undefined) {
    const diskName = posix.basename(posix.dirname(link));
    const parent = byName(ctx, diskName, depth + 1);
    return { name, majorMinor, kind: 'partition', parents: parent ? [parent] : [] };
  }
  if (name.startsWith('dm-') || name.startsWith('md')) {
    const kind: DeviceKind = name.startsWith('dm-') ? 'dm' : 'md';
    const detail = clean(ctx.fs.readText(`/sys/class/block/${name}/${kind === 'dm' ? 'dm/name' : 'md/level'}`));
    const parents = ctx.fs.listDir(`/sys/class/block/${name}/slaves`).sort()
      .map((slave) => byName(ctx, slave, depth + 1))
      .filter((n): n is DeviceNode => n !== undefined);
    return { name, majorMinor, kind, ...(detail ? { detail } : {}), parents };
  }
  if (name.startsWith('loop')) {
    const backing = clean(ctx.fs.readText(`/sys/class/block/${name}/loop/backing_file`));
    const parents: DeviceNode[] = [];
    if (backing) {
      const mount = mountFor(backing.replace(/ \(deleted\)$/, ''), ctx.mounts);
      const under = mount && mount.major !== 0 ? resolveDevice(ctx, `${mount.major}:${mount.minor}`, depth + 1) : undefined;
      if (under) parents.push(under);
    }
    return { name, majorMinor, kind: 'loop', ...(backing ? { detail: backing } : {}), parents };
  }
  return { name, majorMinor, kind: 'disk', parents: [], disk: diskAttributes(ctx.fs, name) };
}

function byName(ctx: ResolveContext, name: string, depth: number): DeviceNode | undefined {
  const dev = clean(ctx.fs.readText(`/sys/class/block/${name}/dev`));
  return dev ? resolveDevice(ctx, dev, depth) : undefined;
}

/** The whole disks at the bottom of a device tree. */
export function physicalDisks(node: DeviceNode): DiskAttributes[] {
  if (node.disk) return [node.disk];
  return node.parents.flatMap(physicalDisks);
}

/** A one-line picture of the chain: `loop3 (file /srv/d.img) -> vda1 -> vda`. */
export function describeChain(node: DeviceNode): string {
  const label = node.kind === 'loop' ? `${node.name} (file ${node.detail ?? '?'})`
    : node.kind === 'dm' || node.kind === 'md' ? `${node.name}${node.detail ? ` (${node.detail})` : ''}` : node.name;
  if (node.parents.length === 0) return label;
  const below = node.parents.map(describeChain);
  return `${label} -> ${below.length === 1 ? below[0] : `[${below.join(', ')}]`}`;
}
