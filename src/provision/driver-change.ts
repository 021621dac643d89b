/**
 * `--keep-images` when the storage driver changes (the old engine runs vfs or btrfs, the new data-root gets
 * overlay2): a file copy of the data-root would carry `vfs/` directories overlay2 cannot read, so the images
 * and named volumes go through a `stowage migrate` store on the new disk instead: exported before the engine
 * stops, imported and verified once it runs on the new data-root, then removed.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapabilityContext } from '../context.js';
import { storedDrivers } from '../engine/image-store.js';
import { HostError, RefusedError } from '../errors.js';
import { readDaemonConfig } from '../host/daemon-config.js';
import { spaceOf } from '../host/filesystem.js';
import { treeBytes } from '../host/provision-tools.js';
import type { HostFs } from '../host/host-fs.js';
import { migrateExport } from '../migrate/migrate-export.js';
import { migrateImport } from '../migrate/migrate-import.js';
import { migrateVerify } from '../migrate/migrate-verify.js';
import { readStoreManifest } from '../migrate/store-manifest.js';
import { formatBytes } from '../units.js';

/** The driver a provisioned data-root runs (the plan's default and only applied driver). */
export const NEW_DRIVER = 'overlay2';

/** The migrate store on the new disk: a hidden directory of the new data-root, removed once verified. */
export function migrateStoreDir(mountPoint: string): string {
  return join(mountPoint, '.stowage-migrate-store');
}

export interface OldDriver {
  name: string;
  /** Where it was read: the engine, the old data-root's image store, daemon.json. */
  from: string;
}

/**
 * The driver the old data-root was written by. The engine says it while it runs on that data-root; a resumed
 * apply finds it stopped (or already on the new disk), so the old data-root's own image store, untouched by
 * apply, answers next, which keeps the plan (and its journal's digest) the same across runs.
 */
export async function oldDriver(context: CapabilityContext, dataRoot: string, fs: HostFs, daemonJson: string): Promise<OldDriver | undefined> {
  try {
    const info = await (await context.engine()).info();
    if (info.dockerRootDir === dataRoot && info.storageDriver) return { name: info.storageDriver, from: 'the engine' };
  } catch { /* stopped: read the disk */ }
  const stored = storedDrivers(dataRoot);
  if (stored.length === 1) return { name: stored[0]!, from: `${dataRoot}/image` };
  const configured = readDaemonConfig(fs, daemonJson).storageDriver;
  return configured ? { name: configured, from: daemonJson } : undefined;
}

/**
 * Exports every image and named volume into the store. The disk must hold the store and the imported images
 * side by side until the store is removed: refused before anything is written when it cannot.
 */
export async function exportStore(store: string, mountPoint: string, context: CapabilityContext): Promise<number> {
  const usage = await (await context.engine()).diskUsage();
  const volumeBytes = usage.volumes.reduce((n, v) => n + Math.max(0, v.size), 0);
  // a resumed apply finds part of the store written: those bytes are already on the disk, not still needed
  const held = existsSync(store) ? await treeBytes(store) : 0;
  const needed = Math.max(0, 2 * usage.layersSize + 2 * volumeBytes - held);
  const available = (await spaceOf(mountPoint)).availableBytes;
  if (needed > available) {
    throw new RefusedError(`${mountPoint} has ${formatBytes(available)} free; the store and the images loaded from it need about ${formatBytes(needed)} side by side`,
      'Give a larger disk, or remove images first (`stowage prune`); the old data-root is untouched.');
  }
  const result = await migrateExport({ dir: store, volumes: 'all' }, context);
  return result.blobs.bytes;
}

/** Imports the store into the engine now running on the new data-root; throws unless every action finished. */
export async function importStore(store: string, mountPoint: string, context: CapabilityContext): Promise<number> {
  const info = await (await context.engine()).info();
  if (info.dockerRootDir !== mountPoint || info.storageDriver !== NEW_DRIVER) {
    throw new HostError(`the engine runs ${info.storageDriver} on ${info.dockerRootDir}, not ${NEW_DRIVER} on ${mountPoint}: nothing was imported`,
      'A --storage-driver on dockerd\'s command line (a systemd drop-in) overrides daemon.json: remove it, restart, and run apply again.');
  }
  const result = await migrateImport({ dir: store }, context);
  const applied = result.applied!;
  if (applied.aborted) context.signal.throwIfAborted();
  if (applied.totals.failed || applied.totals.notRun || result.plan.refusals.length) {
    const first = applied.results.find((x) => x.status === 'failed' || x.status === 'not-run');
    throw new HostError(`migrate import of ${store}: ${applied.totals.failed} failed, ${applied.totals.notRun} not run, ${result.plan.refusals.length} refused`
      + (first ? ` (first: ${first.target}: ${first.reason ?? first.status})` : result.plan.refusals[0] ? ` (${result.plan.refusals[0].target}: ${result.plan.refusals[0].detail})` : ''));
  }
  return result.sentBytes;
}

/** `stowage migrate verify` of the store against the engine: every image by ID, every tag, every volume's tree. */
export async function verifyStore(store: string, context: CapabilityContext): Promise<void> {
  const result = await migrateVerify({ dir: store }, context);
  if (!result.equal) {
    throw new HostError(`${result.differences.length} difference${result.differences.length === 1 ? '' : 's'} between ${store} and the engine (first: ${result.differences[0]!.detail})`);
  }
}

/** The image IDs the store carries: what the new data-root must list. */
export async function storeImageIds(store: string): Promise<string[]> {
  return (await readStoreManifest(store)).images.map((i) => i.id).sort();
}

export async function removeStore(store: string): Promise<void> {
  await rm(store, { recursive: true, force: true });
}
