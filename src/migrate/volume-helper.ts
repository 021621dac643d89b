/**
 * Volumes are read and written through a helper container that is created and never started: the engine's
 * archive API (`docker cp`) reads and extracts a stopped container's mounted volumes, owners and hardlinks
 * kept. Any local image serves, since nothing runs; with none, an empty one is imported and removed after.
 */
import { uniqueSuffix } from '../atomic-file.js';
import type { EngineClient } from '../engine/engine-client.js';
import { TAR_END } from '../image/tar-writer.js';
import { localMountpoint, withHostXattrs } from './host-volume.js';
import { volumeTree, type VolumeTree } from './volume-tree.js';

export const HELPER_LABEL = 'io.stowage.migrate.helper';
/** On a helper that fills a volume: the volume's name. Left behind by a killed import, it marks the volume unfinished. */
export const RESTORING_LABEL = 'io.stowage.migrate.restoring';
export const MOUNT = '/stowage-volume';

export class HelperImage {
  private imported: string | undefined;
  private chosen: string | undefined;

  constructor(private readonly engine: EngineClient) {}

  async id(): Promise<string> {
    if (this.chosen) return this.chosen;
    const images = await this.engine.listImages();
    const smallest = [...images].sort((a, b) => a.size - b.size)[0];
    if (smallest) return (this.chosen = smallest.id);
    this.imported = await this.engine.importImage((async function* () { yield TAR_END; })());
    return (this.chosen = this.imported);
  }

  /** Removes the image it imported, if it did. */
  async release(): Promise<void> {
    if (this.imported) await this.engine.removeImage(this.imported, { force: true }).catch(() => undefined);
    this.imported = undefined;
    this.chosen = undefined;
  }
}

export interface VolumeSpec {
  name: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** Creates a helper with `volume` at MOUNT (creating the volume as specified when it does not exist). */
export async function createHelper(engine: EngineClient, image: HelperImage, volume: VolumeSpec, mode: 'read' | 'restore'): Promise<string> {
  return engine.createContainer({
    image: await image.id(),
    cmd: ['/stowage-migrate-helper-is-never-started'],
    name: `stowage-migrate-${uniqueSuffix()}`,
    labels: { [HELPER_LABEL]: '1', ...(mode === 'restore' ? { [RESTORING_LABEL]: volume.name } : {}) },
    networkMode: 'none',
    volumes: [{
      name: volume.name, target: MOUNT, readOnly: mode === 'read',
      ...(volume.driver ? { driver: volume.driver } : {}), labels: volume.labels ?? {}, options: volume.options ?? {},
    }],
  });
}

/**
 * The volume's contents as the engine archives them (entries `./…`); with the volume's `name`, when its
 * directory is on this host, with the xattrs the archive API leaves out (host-volume.ts).
 */
export async function readVolumeArchive(engine: EngineClient, helper: string, name?: string): Promise<AsyncIterable<Buffer>> {
  const stream = await engine.getArchive(helper, `${MOUNT}/.`);
  const mount = name ? await localMountpoint(engine, name) : undefined;
  if (!mount) return stream;
  const augmented = withHostXattrs(stream, mount, `volume ${name} on ${engine.endpoint.url}`);
  return Object.assign(augmented, { destroy: () => (stream as { destroy?: () => void }).destroy?.() });
}

/** Reads the volume through a short-lived helper and returns its tree digest. */
export async function volumeTreeOnEngine(engine: EngineClient, image: HelperImage, name: string): Promise<VolumeTree> {
  const helper = await createHelper(engine, image, { name }, 'read');
  try {
    const stream = await readVolumeArchive(engine, helper, name);
    try {
      return await volumeTree(stream, `volume ${name} on ${engine.endpoint.url}`);
    } finally {
      (stream as { destroy?: () => void }).destroy?.();
    }
  } finally {
    await engine.removeContainer(helper, { force: true, volumes: false });
  }
}
