/**
 * Writes an image as an OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`), the form
 * registries' tools (skopeo, crane, buildah) read. New layers are gzip-compressed with fixed settings (level,
 * no name, mtime 0) so the same image gives the same blob digests; kept layers are copied as stored.
 * The layout is built in a hidden directory beside the destination and renamed into place at the end.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { Readable } from 'node:stream';
import { hiddenTempPath } from '../atomic-file.js';
import { BadInputError } from '../errors.js';
import { hostFailure, refuseExisting, sha256, tempBeside, type ImageToWrite, type WrittenImage } from './image-writer.js';
import type { Compression } from './decompress.js';
import { measured } from './layer-index.js';

const LAYER_TYPES: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export interface OciWriteOptions {
  force: boolean;
  /** gzip level for new layers (default 6). */
  gzipLevel?: number;
  check?: (tempDir: string) => Promise<void>;
}

async function writeBlob(dir: string, chunks: AsyncIterable<Buffer>): Promise<{ digest: string; size: number }> {
  const temp = hiddenTempPath(join(dir, 'blobs', 'sha256'), 'incoming');
  const handle = await open(temp, 'wx', 0o644);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const c of chunks) {
      hash.update(c);
      size += c.length;
      let done = 0;
      while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(temp, join(dir, 'blobs', 'sha256', digest.slice(7)));
  return { digest, size };
}

async function* gzipped(source: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  const gz = createGzip({ level, chunkSize: 256 * 1024, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (err) => gz.destroy(err));
  input.pipe(gz);
  try {
    for await (const c of gz) yield c as Buffer;
  } finally {
    input.destroy();
    gz.destroy();
  }
}

/** Writes the layout at `dir`; `ref` (e.g. `myapp:flat`) is recorded as the manifest's ref name. */
export async function writeOciLayout(dir: string, image: ImageToWrite, ref: string | undefined, options: OciWriteOptions): Promise<WrittenImage> {
  await refuseExisting(dir, options.force, 'output directory');
  const temp = tempBeside(dir);
  try {
    await mkdir(join(temp, 'blobs', 'sha256'), { recursive: true });
    const diffIds: string[] = [];
    const descriptors: { mediaType: string; digest: string; size: number }[] = [];
    let bytes = 0;
    for (let i = 0; i < image.layers.length; i++) {
      const layer = image.layers[i]!;
      if (layer.omit) throw new BadInputError(`layer ${i} cannot be left out of an OCI layout`);
      let diffId = layer.diffId ?? '';
      let blob: { digest: string; size: number };
      if (layer.compression === 'none' && !layer.diffId) {
        const tar = measured(layer.open(), (_b, d) => { diffId = d; });
        blob = await writeBlob(temp, gzipped(tar, options.gzipLevel ?? 6));
        descriptors.push({ mediaType: LAYER_TYPES.gzip, ...blob });
      } else {
        blob = await writeBlob(temp, layer.open());
        descriptors.push({ mediaType: LAYER_TYPES[layer.compression], ...blob });
      }
      if (!diffId) throw new BadInputError(`layer ${i}: a compressed layer needs its diff ID up front`);
      diffIds.push(diffId);
      bytes += blob.size;
    }
    const config = image.config(diffIds);
    const configDigest = sha256(config);
    await writeFile(join(temp, 'blobs', 'sha256', configDigest.slice(7)), config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: descriptors,
    }));
    const manifestDigest = sha256(manifest);
    await writeFile(join(temp, 'blobs', 'sha256', manifestDigest.slice(7)), manifest);
    const parsed = JSON.parse(config.toString('utf8')) as { os?: string; architecture?: string; variant?: string };
    const platform = { architecture: parsed.architecture ?? 'amd64', os: parsed.os ?? 'linux', ...(parsed.variant ? { variant: parsed.variant } : {}) };
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform,
        ...(ref ? { annotations: { 'org.opencontainers.image.ref.name': ref } } : {}),
      }],
    }));
    await writeFile(join(temp, 'index.json'), index);
    await writeFile(join(temp, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    bytes += config.length + manifest.length + index.length;
    await options.check?.(temp);
    await refuseExisting(dir, options.force, 'output directory');
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    return { id: configDigest, diffIds, bytes, manifestDigest };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw hostFailure(err, dir);
  }
}
