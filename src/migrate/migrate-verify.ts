/**
 * `stowage migrate verify DIR`: the store's blobs hash to their names, and the target engine holds every
 * image with the same ID and layer diff IDs, every tag on it, and every volume with the same tree digest.
 * Each difference is named; the CLI exits 7 when there is one.
 */
import { createReadStream } from 'node:fs';
import type { CapabilityContext } from '../context.js';
import { EngineRequestError } from '../errors.js';
import type { Difference, MigrateVerifyOptions, MigrateVerifyResult } from './migrate-types.js';
import { checkBlobs } from './store-check.js';
import { blobPath, imageName, readStoreManifest } from './store-manifest.js';
import { HelperImage, volumeTreeOnEngine } from './volume-helper.js';
import { treeDifferences, volumeTree } from './volume-tree.js';

const notFound = (err: unknown) => err instanceof EngineRequestError && err.statusCode === 404;

export async function migrateVerify(options: MigrateVerifyOptions, context: CapabilityContext): Promise<MigrateVerifyResult> {
  const started = context.clock.monotonic();
  const manifest = await readStoreManifest(options.dir);
  const engine = await context.engine();
  const info = await engine.info();
  const target = { endpoint: engine.endpoint.url, serverVersion: info.serverVersion, storageDriver: info.storageDriver };
  const total = manifest.blobs.reduce((n, b) => n + b.size, 0);
  let done = 0;
  const store = await checkBlobs(options.dir, manifest, manifest.blobs.map((b) => b.digest), (n) => {
    done += n;
    context.progress.update({ step: 'hashing the store\'s blobs', done, total, unit: 'bytes' });
  });
  const differences: Difference[] = [...store.differences];
  let tags = 0;
  for (const [n, image] of manifest.images.entries()) {
    context.progress.update({ step: 'checking images on the target', done: n, total: manifest.images.length, unit: 'items' });
    const name = imageName(image);
    try {
      const detail = await engine.inspectImage(image.id);
      if (detail.layers.join() !== image.diffIds.join()) {
        differences.push({ code: 'image-diff-ids', subject: name, detail: `${name} has diff IDs ${detail.layers.join(', ')} on the target, the store ${image.diffIds.join(', ')}` });
      }
    } catch (err) {
      if (!notFound(err)) throw err;
      differences.push({ code: 'image-missing', subject: name, detail: `${name} is not on the target` });
    }
    for (const tag of image.repoTags) {
      tags++;
      try {
        const onTarget = await engine.inspectImage(tag);
        if (onTarget.id !== image.id) differences.push({ code: 'tag-elsewhere', subject: tag, detail: `${tag} points at ${onTarget.id} on the target, not at ${image.id}` });
      } catch (err) {
        if (!notFound(err)) throw err;
        differences.push({ code: 'tag-missing', subject: tag, detail: `${tag} (${image.id.slice(0, 19)}) is not on the target` });
      }
    }
  }
  const volumes = options.volumes === false ? [] : manifest.volumes;
  const helperImage = new HelperImage(engine);
  try {
    for (const [n, v] of volumes.entries()) {
      context.progress.update({ step: `checking volume ${v.name}`, done: n, total: volumes.length, unit: 'items' });
      try {
        await engine.inspectVolume(v.name);
      } catch (err) {
        if (!notFound(err)) throw err;
        differences.push({ code: 'volume-missing', subject: `volume ${v.name}`, detail: `volume ${v.name} is not on the target` });
        continue;
      }
      const actual = await volumeTreeOnEngine(engine, helperImage, v.name);
      if (actual.digest === v.contentDigest) continue;
      let paths: ReturnType<typeof treeDifferences> | undefined;
      try {
        const expected = await volumeTree(createReadStream(blobPath(options.dir, v.blob), { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>, `volume ${v.name} in the store`);
        paths = treeDifferences(expected.records, actual.records);
      } catch {
        paths = undefined; // the blob itself is bad: named above
      }
      differences.push({ code: 'volume-content', subject: `volume ${v.name}`,
        detail: `volume ${v.name} has content ${actual.digest} on the target, the store ${v.contentDigest}${paths?.length ? `; ${paths.length} path${paths.length === 1 ? '' : 's'} differ, first /${paths[0]!.path}` : ''}`,
        ...(paths ? { paths: paths.slice(0, 20) } : {}) });
    }
  } finally {
    await helperImage.release();
    context.progress.end();
  }
  return {
    schemaVersion: 1, action: 'verify', dir: options.dir, target,
    checked: { blobs: store.blobs, blobBytes: store.bytes, images: manifest.images.length, tags, volumes: volumes.length },
    equal: differences.length === 0, differences, elapsedMs: Math.round(context.clock.monotonic() - started),
  };
}
