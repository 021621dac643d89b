/**
 * Reading images straight from a local overlay2 engine's layer store (issue 15), rather than through `docker
 * save`, which first writes a temporary copy of every layer: each layer's tar is rebuilt byte for byte from the
 * engine's `tar-split.json.gz` and the files of its `diff` directory, and must hash to its diff ID.
 */
import type { EngineClient } from '../engine/engine-client.js';
import { readStoredImageConfig } from '../engine/image-store.js';
import { layerTarFromStore, tarSplitReadable } from '../engine/layer-tar-split.js';
import type { EngineInfo } from '../engine/types.js';
import { EngineRequestError } from '../errors.js';
import { chainIds } from '../image/chain-ids.js';
import { writeBlob } from './blob-store.js';
import { imageName, type StoreImage } from './store-manifest.js';

/** Whether this host can read the engine's layers from its layer store: a local overlay2 engine whose data-root it reads. */
export async function readsLayerStore(engine: EngineClient, info: EngineInfo): Promise<boolean> {
  return engine.endpoint.transport.kind === 'unix' && info.storageDriver === 'overlay2' && !info.containerdImageStore && await tarSplitReadable(info.dockerRootDir);
}

/**
 * Writes each image's config and each layer the store lacks (`sizes` holds what it has; each blob written is
 * added) from the layer store, every blob checked against the digest it must have.
 */
export async function writeBlobsFromLayerStore(dir: string, dataRoot: string, images: readonly StoreImage[], sizes: Map<string, number>,
  onBytes: (n: number) => void, onWritten: (bytes: number) => void, signal: AbortSignal): Promise<void> {
  const write = async (want: string, what: string, body: AsyncIterable<Buffer>) => {
    const blob = await writeBlob(dir, body, onBytes);
    if (blob.digest !== want) throw new EngineRequestError(500, `${what} rebuilt from the engine's layer store hashes to ${blob.digest}, not ${want}`);
    sizes.set(want, blob.size);
    if (blob.written) onWritten(blob.size);
    signal.throwIfAborted();
  };
  for (const image of images) {
    if (!sizes.has(image.id)) {
      const config = await readStoredImageConfig(dataRoot, image.id);
      await write(image.id, `the config of ${imageName(image)}`, (async function* () { yield config; })());
    }
    const chains = chainIds(image.diffIds);
    for (const [i, diffId] of image.diffIds.entries()) {
      if (sizes.has(diffId)) continue;
      const layer = await layerTarFromStore(dataRoot, chains[i]!);
      if (!layer) throw new EngineRequestError(500, `the engine's layer store has no tar-split for layer ${diffId} of ${imageName(image)}`);
      await write(diffId, `layer ${diffId} of ${imageName(image)}`, layer.body());
    }
  }
}
