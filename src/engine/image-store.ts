/**
 * An image's config read from the engine's own image store under data-root (image/overlay2/imagedb). Read
 * directly, not through the API, because `docker inspect` gives a reshaped config and `/images/{name}/get`
 * streams every layer to reach the config blob; the caller checks the bytes hash to the image ID. Like
 * layer-store.ts, this is the engine's private on-disk format, so it stays here behind engine/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The config blob of image `imageId` (`sha256:…`) as the engine stored it; rejects when it cannot be read. */
export function readStoredImageConfig(dataRoot: string, imageId: string, driver = 'overlay2'): Promise<Buffer> {
  const hex = imageId.replace(/^sha256:/, '');
  return readFile(join(dataRoot, 'image', driver, 'imagedb', 'content', 'sha256', hex));
}

/**
 * The same, synchronous: for a plan that reads a few small files for each of hundreds of images, a promise's
 * readFile is four thread-pool round trips (open, fstat, read, close) and costs more CPU than the read itself
 * (bench/prune.ts). The layer size, tag time and container times below are synchronous for the same reason.
 */
export function readStoredImageConfigSync(dataRoot: string, imageId: string, driver = 'overlay2'): Buffer {
  return readFileSync(join(dataRoot, 'image', driver, 'imagedb', 'content', 'sha256', imageId.replace(/^sha256:/, '')));
}

/** IDs (`sha256:…`) of every image in the engine's overlay2 image store under `dataRoot`; [] when there is none. */
export async function storedImageIds(dataRoot: string, driver = 'overlay2'): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  try {
    return (await readdir(join(dataRoot, 'image', driver, 'imagedb', 'content', 'sha256'))).filter((f) => /^[0-9a-f]{64}$/.test(f)).map((f) => `sha256:${f}`).sort();
  } catch {
    return [];
  }
}

/** The storage drivers that have an image store under `dataRoot` (`image/<driver>/`); [] when none. */
export function storedDrivers(dataRoot: string): string[] {
  try {
    return readdirSync(join(dataRoot, 'image'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** A layer's size in bytes as the engine's layer store recorded it (layerdb/sha256/CHAIN/size); undefined when not there. */
export function readStoredLayerSize(dataRoot: string, driver: string, chainId: string): number | undefined {
  try {
    const text = readFileSync(join(dataRoot, 'image', driver, 'layerdb', 'sha256', chainId.replace(/^sha256:/, ''), 'size'), 'utf8');
    const n = Number(text.trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** When the image was last tagged (imagedb/metadata/sha256/ID/lastUpdated, what inspect shows as `Metadata.LastTagTime`). */
export function readStoredLastTagTime(dataRoot: string, driver: string, imageId: string): string | undefined {
  try {
    const text = (readFileSync(join(dataRoot, 'image', driver, 'imagedb', 'metadata', 'sha256', imageId.replace(/^sha256:/, ''), 'lastUpdated'), 'utf8')).trim();
    return text && !text.startsWith('0001-') ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A container's last start and stop as the engine saved them (containers/ID/config.v2.json, `State`), read
 * from disk so that a plan over thousands of containers makes no request per container; undefined when absent.
 */
export function readStoredContainerTimes(dataRoot: string, id: string): { startedAt?: string; finishedAt?: string } | undefined {
  try {
    const state = (JSON.parse(readFileSync(join(dataRoot, 'containers', id, 'config.v2.json'), 'utf8')) as { State?: { StartedAt?: string; FinishedAt?: string } }).State;
    if (!state) return undefined;
    const set = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : undefined);
    const startedAt = set(state.StartedAt);
    const finishedAt = set(state.FinishedAt);
    return { ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}) };
  } catch {
    return undefined;
  }
}
