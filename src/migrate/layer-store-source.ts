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
import { pad, TAR_END, tarHeader } from '../image/tar-writer.js';
import { writeBlob } from './blob-store.js';
import { imageName, type StoreImage } from './store-manifest.js';

/** Whether this host can read the engine's layers from its layer store: a local overlay2 engine whose data-root it reads. */
export async function readsLayerStore(engine: EngineClient, info: EngineInfo): Promise<boolean> {
  return engine.endpoint.transport.kind === 'unix' && info.storageDriver === 'overlay2' && !info.containerdImageStore && await tarSplitReadable(info.dockerRootDir);
}

/** A layer's tar, rebuilt from the layer store; throws when the store has no tar-split for it. */
async function storedLayer(dataRoot: string, image: StoreImage, chainId: string, diffId: string): Promise<{ size: number; body: () => AsyncGenerator<Buffer> }> {
  const layer = await layerTarFromStore(dataRoot, chainId);
  if (!layer) throw new EngineRequestError(500, `the engine's layer store has no tar-split for layer ${diffId} of ${imageName(image)}`);
  return layer;
}

/** The docker-archive of one image with its config and only the layers `send` names, read from the source's layer store. */
export async function* layerStoreArchive(dataRoot: string, image: StoreImage, send: Set<number>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  const chains = chainIds(image.diffIds);
  const config = await readStoredImageConfig(dataRoot, image.id);
  const member = (d: string) => `blobs/sha256/${d.slice(7)}`;
  yield tarHeader({ name: member(image.id), typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: config.length, mtime: 0 });
  onBytes(config.length);
  yield config;
  yield Buffer.alloc(pad(config.length));
  const sent = new Set<string>();
  for (const [i, diffId] of image.diffIds.entries()) {
    if (!send.has(i) || sent.has(diffId)) continue;
    sent.add(diffId);
    const layer = await storedLayer(dataRoot, image, chains[i]!, diffId);
    yield tarHeader({ name: member(diffId), typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: layer.size, mtime: 0 });
    let n = 0;
    for await (const c of layer.body()) {
      n += c.length;
      onBytes(c.length);
      yield c;
    }
    if (n !== layer.size) throw new EngineRequestError(500, `layer ${diffId} gave ${n} bytes from the source's layer store, its tar-split says ${layer.size}`);
    yield Buffer.alloc(pad(layer.size));
  }
  const manifest = Buffer.from(JSON.stringify([{ Config: member(image.id), RepoTags: null, Layers: image.diffIds.map(member) }]));
  yield tarHeader({ name: 'manifest.json', typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: manifest.length, mtime: 0 });
  yield manifest;
  yield Buffer.alloc(pad(manifest.length));
  yield TAR_END;
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
      const layer = await storedLayer(dataRoot, image, chains[i]!, diffId);
      await write(diffId, `layer ${diffId} of ${imageName(image)}`, layer.body());
    }
  }
}
