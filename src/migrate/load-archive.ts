/**
 * The docker-archive stream `docker load` takes, made from the store for one image: its config, the layers
 * the target does not have yet (moby's load opens a layer's file only when the layer's chain ID is missing,
 * so the others need not be sent), and a manifest.json naming them. Each blob is hashed as it is sent; a blob
 * that does not match its digest fails the stream, and the engine, which unpacks the whole upload before it
 * registers anything, then loads nothing of it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { VerificationFailedError } from './verification-error.js';
import { pad, TAR_END, tarHeader } from '../image/tar-writer.js';
import { blobPath, type StoreImage } from './store-manifest.js';


const memberName = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

export async function* loadArchive(dir: string, image: StoreImage, sendLayer: (index: number) => boolean, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const digests = [image.id, ...new Set(image.diffIds.filter((_, i) => sendLayer(i)))];
  for (const digest of digests) {
    const path = blobPath(dir, digest);
    const size = (await stat(path)).size;
    yield tarHeader({ name: memberName(digest), typeflag: '0', mode: 0o644, uid: 0, gid: 0, size, mtime: 0 });
    const hash = createHash('sha256');
    let sent = 0;
    for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      hash.update(c);
      sent += c.length;
      onBytes?.(c.length);
      yield c;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest || sent !== size) throw new VerificationFailedError(`blob ${digest} in ${dir} changed while it was sent (it hashes to ${actual}); the load was stopped`);
    yield Buffer.alloc(pad(size));
  }
  const manifest = Buffer.from(JSON.stringify([{
    Config: memberName(image.id), RepoTags: image.repoTags.length ? image.repoTags : null, Layers: image.diffIds.map(memberName),
  }]));
  yield tarHeader({ name: 'manifest.json', typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: manifest.length, mtime: 0 });
  yield manifest;
  yield Buffer.alloc(pad(manifest.length));
  yield TAR_END;
}
