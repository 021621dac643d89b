/** Collects doctor's facts from the engine and the host; judgement happens in the *-checks.ts files. */
import { existsSync } from 'node:fs';
import type { EngineClient } from '../engine/engine-client.js';
import { EngineRequestError } from '../errors.js';
import { mapLimit } from '../map-limit.js';
import { overlay2Directories } from '../engine/layer-store.js';
import { physicalDisks } from '../host/block-device.js';
import { iowaitPercent, sampleRates, type IoRates } from '../measure/io-rates.js';
import { probeDtype } from '../host/dtype-probe.js';
import { ext4Journal } from '../host/ext4-journal.js';
import { logFileBytes, modifiedAt, spaceOf, treeSize } from '../host/filesystem.js';
import type { HostFs } from '../host/host-fs.js';
import type { HostSample } from '../host/host-sample.js';
import { deviceForPath } from '../host/path-device.js';
import { readOverlayModule } from '../host/overlay-module.js';
import { syncWriteProbe, type SyncWriteOptions } from '../host/sync-write-probe.js';
import type { ContainerLog, DiskFacts, ImageDepth, IoFacts, LogFacts, OrphanFacts } from './facts.js';

export async function diskFacts(fs: HostFs, dataRoot: string): Promise<DiskFacts> {
  const { resolvedPath, mount, rootMount, device } = deviceForPath(fs, dataRoot);
  const [space, dtype] = await Promise.all([
    spaceOf(resolvedPath).catch(() => undefined),
    mount ? probeDtype(mount) : Promise.resolve(undefined),
  ]);
  const journal = mount && device && /^ext[34]$/.test(mount.fsType) ? ext4Journal(fs, device.name, dtype?.features) : undefined;
  return {
    mount,
    device,
    ...(journal ? { journal } : {}),
    disks: device ? physicalDisks(device) : [],
    space,
    dtype,
    sharesRootFs: Boolean(mount && rootMount && mount.major === rootMount.major && mount.minor === rootMount.minor),
    overlayModule: readOverlayModule(fs),
  };
}

/** Rates for the devices in data-root's chain, over the window between two samples. */
export function windowRates(before: HostSample, after: HostSample, disk: DiskFacts | undefined): IoRates[] {
  const names = new Set<string>();
  const walk = (n: DiskFacts['device']) => {
    if (!n) return;
    if (n.kind !== 'partition') names.add(n.name);
    n.parents.forEach(walk);
  };
  walk(disk?.device);
  return sampleRates(before, after, names);
}

/**
 * Rates of every whole device (disks, loop, dm, md) that did I/O in the window, busiest first: iowait is
 * host-wide, so the device the CPUs waited on may not be data-root's.
 */
export function busyDevices(before: HostSample, after: HostSample, wholeDevices: readonly string[]): IoRates[] {
  return sampleRates(before, after, wholeDevices)
    .filter((r) => r.utilPercent > 0 || r.readIops > 0 || r.writeIops > 0)
    .sort((x, y) => y.utilPercent - x.utilPercent || x.device.localeCompare(y.device));
}

export async function ioFacts(before: HostSample, after: HostSample, disk: DiskFacts | undefined,
  dataRoot: string, probe: SyncWriteOptions | false, wholeDevices: readonly string[] = []): Promise<IoFacts> {
  const stuckPids = new Set(before.blocked.map((t) => t.pid));
  let syncWrite;
  let syncWriteError;
  if (probe !== false) {
    try {
      syncWrite = await syncWriteProbe(dataRoot, probe);
    } catch (err) {
      syncWriteError = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }
  return {
    windowMs: after.atMs - before.atMs,
    rates: windowRates(before, after, disk),
    devices: busyDevices(before, after, wholeDevices),
    iowaitPercent: before.cpu && after.cpu ? iowaitPercent(before.cpu, after.cpu) : undefined,
    stuckTasks: after.blocked.filter((t) => stuckPids.has(t.pid)),
    blockedNow: after.blocked.length,
    syncWrite,
    syncWriteError,
  };
}

export async function imageDepths(engine: EngineClient): Promise<ImageDepth[]> {
  const images = await engine.listImages();
  const depths = await mapLimit(images, 16, async (image) => {
    try {
      const detail = await engine.inspectImage(image.id);
      return { id: image.id, tags: image.repoTags, layers: detail.layers.length };
    } catch (err) {
      // removed between the list and the inspect, as happens on a busy CI host
      if (err instanceof EngineRequestError && err.statusCode === 404) return undefined;
      throw err;
    }
  });
  return depths.filter((d): d is ImageDepth => d !== undefined);
}

/** Directories younger than this may belong to a pull or build in progress. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export async function orphanFacts(dataRoot: string, nowMs: number): Promise<OrphanFacts | undefined> {
  if (!existsSync(`${dataRoot}/overlay2`)) return undefined;
  const dirs = await overlay2Directories(dataRoot);
  const old: string[] = [];
  for (const name of dirs.orphaned) {
    const mtime = await modifiedAt(`${dataRoot}/overlay2/${name}`);
    if (mtime !== undefined && nowMs - mtime >= ORPHAN_MIN_AGE_MS) old.push(name);
  }
  let bytes = 0;
  let entries = 0;
  let complete = true;
  for (const name of old) {
    const size = await treeSize(`${dataRoot}/overlay2/${name}`, Math.max(1, 20_000 - entries));
    bytes += size.bytes;
    entries += size.entries;
    complete &&= size.complete;
    if (!complete) break;
  }
  return { directories: old.sort(), size: { bytes, entries, complete } };
}

/** Drivers that keep a file on the engine's host, and whether they are capped when no max-size is set. */
const FILE_DRIVERS: Record<string, { cappedByDefault: boolean }> = {
  'json-file': { cappedByDefault: false }, // moby: max-size defaults to -1, unlimited
  local: { cappedByDefault: true }, // moby: 20 MB x 5 files unless told otherwise
};

/** Every container's log driver, limits and bytes on disk (json-file's LogPath, local's container.log). */
export async function logFacts(engine: EngineClient, dataRoot: string, defaults: { driver: string | undefined; opts: Record<string, string> | undefined }): Promise<LogFacts> {
  const list = await engine.listContainers({ all: true });
  const logs = await mapLimit(list, 16, async (c): Promise<ContainerLog | undefined> => {
    let detail;
    try {
      detail = await engine.inspectContainer(c.id);
    } catch (err) {
      if (err instanceof EngineRequestError && err.statusCode === 404) return undefined; // removed meanwhile
      throw err;
    }
    const driver = detail.logConfig?.type || defaults.driver || 'json-file';
    const config = detail.logConfig?.config ?? {};
    const maxSize = config['max-size'];
    const file = FILE_DRIVERS[driver];
    const bounded = !file || (maxSize !== undefined && maxSize !== '-1') || (file.cappedByDefault && maxSize !== '-1');
    const path = driver === 'json-file' ? detail.logPath || undefined
      : driver === 'local' ? `${dataRoot}/containers/${detail.id}/local-logs/container.log` : undefined;
    const size = path ? await logFileBytes(path) : undefined;
    return {
      id: detail.id, name: detail.name, state: detail.state, driver,
      maxSize, maxFile: config['max-file'], bounded, path, bytes: size?.bytes ?? 0,
    };
  });
  const containers = logs.filter((l): l is ContainerLog => l !== undefined).sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const total = (xs: ContainerLog[]) => xs.reduce((n, l) => n + l.bytes, 0);
  return {
    defaultDriver: defaults.driver,
    defaultOpts: defaults.opts,
    containers,
    totalBytes: total(containers),
    unboundedBytes: total(containers.filter((l) => !l.bounded)),
  };
}
