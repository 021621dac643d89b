/**
 * What overlay2 layer directories the engine still references, read from its own stores under data-root:
 * the layer store (image/overlay2/layerdb: cache-id, mount-id, init-id) and BuildKit's snapshot database,
 * whose mutable snapshots live in overlay2 too. A directory referenced by neither is orphaned space.
 * Read directly because the API names no directory: `docker inspect` gives an image's or container's own
 * GraphDriver dirs, but nothing lists every cache-id and mount-id, and BuildKit's snapshots are not in the
 * API at all. These are the engine's private on-disk formats, so only engine/ reads them (image-store.ts too).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

async function readIds(dir: string, files: string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const ids = await Promise.all(entries.flatMap((e) => files.map((f) =>
    fsp.readFile(join(dir, e, f), 'utf8').then((t) => t.trim(), () => ''))));
  return ids.filter(Boolean);
}

export interface LayerDirectories {
  /** Directory names under DATA_ROOT/overlay2, without `l` (the short-link folder). */
  present: string[];
  referenced: Set<string>;
  /** Present and referenced by nothing the engine knows. */
  orphaned: string[];
}

export async function overlay2Directories(dataRoot: string): Promise<LayerDirectories> {
  const driverDir = join(dataRoot, 'overlay2');
  const present = (await fsp.readdir(driverDir)).filter((n) => n !== 'l');
  const layerdb = join(dataRoot, 'image', 'overlay2', 'layerdb');
  const referenced = new Set<string>([
    ...(await readIds(join(layerdb, 'sha256'), ['cache-id'])),
    ...(await readIds(join(layerdb, 'mounts'), ['mount-id', 'init-id'])),
  ]);
  const candidates = present.filter((n) => !referenced.has(n));
  // BuildKit keeps its snapshot ids in a bolt database; the ids are stored as plain ASCII keys in it.
  const snapshotsDb = await fsp.readFile(join(dataRoot, 'buildkit', 'snapshots.db')).catch(() => undefined);
  const orphaned: string[] = [];
  for (const name of candidates) {
    if (snapshotsDb?.includes(name, 0, 'latin1')) referenced.add(name);
    else orphaned.push(name);
  }
  return { present, referenced, orphaned };
}
