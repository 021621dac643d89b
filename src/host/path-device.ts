/** Which mount and block device hold a path: mountinfo's longest prefix, then the sysfs device chain. */
import { realpathSync } from 'node:fs';
import { resolveDevice, type DeviceNode } from './block-device.js';
import type { HostFs } from './host-fs.js';
import { mountFor, parseMountinfo, type MountEntry } from './mountinfo.js';

export interface PathDevice {
  /** The path with symlinks resolved, as the kernel sees it. */
  resolvedPath: string;
  mount: MountEntry | undefined;
  /** The mount of `/`, to tell whether the path shares the root filesystem. */
  rootMount: MountEntry | undefined;
  majorMinor: string | undefined;
  device: DeviceNode | undefined;
}

export function deviceForPath(fs: HostFs, path: string): PathDevice {
  const mounts = parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '');
  const resolvedPath = safeRealpath(path);
  const mount = mountFor(resolvedPath, mounts);
  let majorMinor = mount ? `${mount.major}:${mount.minor}` : undefined;
  if (mount && mount.major === 0) {
    // btrfs and friends show an anonymous device number; the mount source names the real device
    majorMinor = mount.source.startsWith('/dev/')
      ? fs.readText(`/sys/class/block/${mount.source.slice(5)}/dev`)?.trim() || undefined
      : undefined;
  }
  return {
    resolvedPath,
    mount,
    rootMount: mountFor('/', mounts),
    majorMinor,
    device: majorMinor ? resolveDevice({ fs, mounts }, majorMinor) : undefined,
  };
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
