/**
 * Writes an image as a docker-archive (what `docker save` writes and `docker load` reads): one member per
 * layer, then the config and `manifest.json`. Layers stream straight through (their sizes are known up
 * front), so nothing is staged; the config and manifest go last because the squashed layer's diff ID is
 * only known once it is written (docker load reads the whole archive before it reads the manifest).
 * Member headers have fixed owner, mode and mtime: the same image gives the same bytes.
 */
import type { EngineClient } from '../engine/engine-client.js';
import { BadInputError } from '../errors.js';
import { TAR_END, pad, paxGlobalHeader, tarHeader } from './tar-writer.js';
import { sha256, writeFileAtomically, type ImageToWrite, type WrittenImage } from './image-writer.js';
import { measured } from './layer-index.js';

function member(name: string, size: number): Buffer {
  return tarHeader({ name, typeflag: '0', mode: 0o644, uid: 0, gid: 0, size, mtime: 0 });
}

function dirMember(name: string): Buffer {
  return tarHeader({ name: `${name}/`, typeflag: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
}

/** The archive as a stream; `done` receives the image ID and diff IDs once the manifest is written. */
export async function* dockerArchiveStream(image: ImageToWrite, done?: (written: WrittenImage) => void): AsyncGenerator<Buffer> {
  const diffIds: string[] = [];
  const layerPaths: string[] = [];
  let bytes = 0;
  const count = (b: Buffer) => {
    bytes += b.length;
    return b;
  };
  for (let i = 0; i < image.layers.length; i++) {
    const layer = image.layers[i]!;
    const dir = layer.diffId ? layer.diffId.replace(/^sha256:/, '') : `layer-${i}`;
    const path = `${dir}/layer.tar`;
    layerPaths.push(path);
    if (layer.omit) {
      if (!layer.diffId) throw new BadInputError(`layer ${i} cannot be left out: its diff ID is not known`);
      diffIds.push(layer.diffId);
      continue;
    }
    yield count(Buffer.concat([dirMember(dir), member(path, layer.size)]));
    let written = 0;
    let digest = '';
    const stream = layer.compression === 'none' && !layer.diffId ? measured(layer.open(), (_b, d) => { digest = d; }) : layer.open();
    for await (const c of stream) {
      written += c.length;
      yield count(c);
    }
    if (written !== layer.size) throw new BadInputError(`layer ${i}: ${written} bytes were written where ${layer.size} were announced`);
    const p = pad(layer.size);
    if (p) yield count(Buffer.alloc(p));
    const diffId = layer.diffId ?? digest;
    if (!diffId) throw new BadInputError(`layer ${i}: a compressed layer needs its diff ID up front`);
    diffIds.push(diffId);
  }
  const config = image.config(diffIds);
  const id = sha256(config);
  const configName = `${id.slice(7)}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: image.repoTags, Layers: layerPaths }]));
  yield count(Buffer.concat([member(configName, config.length), config, Buffer.alloc(pad(config.length))]));
  yield count(Buffer.concat([member('manifest.json', manifest.length), manifest, Buffer.alloc(pad(manifest.length)), TAR_END]));
  done?.({ id, diffIds, bytes });
}

/** Writes a docker-archive file atomically; `check` runs on the finished temporary file before the rename. */
export async function writeDockerArchive(path: string, image: ImageToWrite, options: { force: boolean; check?: (tempPath: string) => Promise<void> }): Promise<WrittenImage> {
  let written: WrittenImage | undefined;
  await writeFileAtomically(path, dockerArchiveStream(image, (w) => { written = w; }), options);
  return written!;
}

/**
 * Loads the image into the engine (`docker load`) under `image.repoTags`. With `after`, the request and a first
 * block go at once and the archive once `after` resolves (`image` is read then): the engine starts the process
 * that unpacks a load when the body's first bytes come (~70 ms here), so that happens while `after` is pending.
 * The first block is a PAX global header, which Docker's unpacker passes over. A rejected `after` ends the
 * upload with its error, and the engine drops the load.
 */
export async function loadIntoEngine(engine: EngineClient, image: ImageToWrite, after?: Promise<unknown>): Promise<WrittenImage & { loaded: string[] }> {
  let written: WrittenImage | undefined;
  const archive = dockerArchiveStream(image, (w) => { written = w; });
  async function* opened(): AsyncGenerator<Buffer> {
    yield paxGlobalHeader({ comment: 'stowage: the image follows' });
    await after;
    yield* archive;
  }
  const loaded = await engine.loadImage(after ? opened() : archive);
  if (!written) throw new BadInputError('the engine stopped reading the archive before its end');
  return { ...written, loaded };
}
