/**
 * `stowage migrate export DIR`: every image by ID (untagged ones too) with its tags and digests, and the named
 * volumes, into one content-addressed store (store-manifest.ts). Images come in one `docker save` stream of
 * all of them, in which the engine sends each layer once; every blob is written once, under its digest.
 */
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createReadStream } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { BadInputError, EngineRequestError, HostError, RefusedError } from '../errors.js';
import { spaceOf } from '../host/filesystem.js';
import { readTar } from '../image/tar-reader.js';
import { formatBytes } from '../units.js';
import { present, writeBlob } from './blob-store.js';
import type { MigrateExportOptions, MigrateExportResult } from './migrate-types.js';
import { notMigratedOn } from './not-migrated.js';
import { localMountpoint } from './host-volume.js';
import { readsLayerStore, writeBlobsFromLayerStore } from './layer-store-source.js';
import { blobPath, OCI_LAYOUT, OCI_LAYOUT_TEXT, STORE_MANIFEST, type StoreBlob, type StoreImage, type StoreManifest, type StoreVolume } from './store-manifest.js';
import { createHelper, HelperImage, readVolumeArchive } from './volume-helper.js';
import { volumeTree } from './volume-tree.js';

/** Members of a `docker save` stream that are blobs: legacy layer.tar and config JSON, and OCI blobs (Docker 25+). */
const BLOB_MEMBER = /(^|\/)layer\.tar$|^[0-9a-f]{64}\.json$|^blobs\/sha256\/[0-9a-f]{64}$/;

/** Creates DIR when missing (and says so); refuses a non-empty directory that is not a store. */
async function prepareDir(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new BadInputError(`${dir} is not a directory`);
    if (code !== 'ENOENT') throw new HostError(`cannot read ${dir}: ${code}`);
    try {
      await mkdir(dir);
    } catch (e) {
      const c = (e as NodeJS.ErrnoException).code;
      throw c === 'ENOENT' ? new BadInputError(`cannot create ${dir}: ${dirname(dir)} does not exist`) : new HostError(`cannot create ${dir}: ${c}`);
    }
    return true;
  }
  if (entries.length && !entries.includes(OCI_LAYOUT)) {
    throw new BadInputError(`${dir} is not empty and is not a stowage migrate store`, 'Give an empty or new directory, or one an earlier export wrote.');
  }
  return false;
}

async function selectVolumes(engine: EngineClient, wanted: MigrateExportOptions['volumes']) {
  if (wanted === 'none') return [];
  const named = (await engine.listVolumes()).filter((v) => !v.anonymous);
  if (wanted === 'all') return named;
  const missing = wanted.filter((n) => !named.some((v) => v.name === n));
  if (missing.length) throw new BadInputError(`no named volume ${missing.join(', ')} in the engine`, 'Check `docker volume ls`.');
  return named.filter((v) => wanted.includes(v.name));
}

function ociManifest(image: StoreImage, sizes: Map<string, number>): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.id, size: sizes.get(image.id) },
    layers: image.diffIds.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: sizes.get(d) })),
  }));
}

export async function migrateExport(options: MigrateExportOptions, context: CapabilityContext): Promise<MigrateExportResult> {
  const started = context.clock.monotonic();
  const dir = options.dir;
  const engine = await context.engine();
  const created = await prepareDir(dir);
  try {
    return await exportInto(dir, options, engine, context, started);
  } catch (err) {
    // a refusal or failure before the first write leaves no directory it made (rmdir fails when not empty)
    if (created) await rmdir(dir).catch(() => undefined);
    throw err;
  }
}

async function exportInto(dir: string, options: MigrateExportOptions, engine: EngineClient, context: CapabilityContext, started: number): Promise<MigrateExportResult> {
  const info = await engine.info();
  const source = { endpoint: engine.endpoint.url, serverVersion: info.serverVersion, storageDriver: info.storageDriver };
  context.progress.update({ step: 'listing images and volumes' });
  const listed = await engine.listImages({ all: true });
  const images: StoreImage[] = [];
  for (const entry of listed) {
    const detail = await engine.inspectImage(entry.id);
    images.push({ id: detail.id, repoTags: [...entry.repoTags].sort(), repoDigests: [...(entry.repoDigests ?? [])].sort(), diffIds: detail.layers, manifest: '' });
  }
  const volumes = await selectVolumes(engine, options.volumes);
  const usage = await engine.diskUsage();

  // space: the engine's unique layer bytes and the volumes' sizes, less what the store already holds
  const wantedBlobs = new Set(images.flatMap((i) => [i.id, ...i.diffIds]));
  let heldBytes = 0;
  for (const d of wantedBlobs) {
    try { heldBytes += (await stat(blobPath(dir, d))).size; } catch { /* not yet */ }
  }
  const volumeBytes = volumes.reduce((n, v) => n + Math.max(0, usage.volumes.find((u) => u.name === v.name)?.size ?? 0), 0);
  const neededBytes = Math.max(0, usage.layersSize + volumeBytes - heldBytes);
  const availableBytes = (await spaceOf(dir)).availableBytes;
  const space = { path: dir, neededBytes, availableBytes };
  if (neededBytes > availableBytes) {
    throw new RefusedError(`${dir} has ${formatBytes(availableBytes)} free, the export needs about ${formatBytes(neededBytes)} (${formatBytes(usage.layersSize)} of unique layers, ${formatBytes(volumeBytes)} of volumes); nothing was written`,
      'Export to a larger filesystem, or fewer volumes (`--volume NAME`, `--no-volumes`).');
  }
  await writeFileAtomic(join(dir, OCI_LAYOUT), OCI_LAYOUT_TEXT);

  const sizes = new Map<string, number>();
  let written = 0;
  let writtenBytes = 0;
  let doneBytes = 0;
  const missing: StoreImage[] = [];
  for (const image of images) {
    let complete = true;
    for (const d of [image.id, ...image.diffIds]) {
      try { sizes.set(d, (await stat(blobPath(dir, d))).size); } catch { complete = false; }
    }
    if (!complete) missing.push(image);
  }
  const direct = await readsLayerStore(engine, info);
  const savedBytes = (n: number) => {
    doneBytes += n;
    context.progress.update({ step: 'saving images', done: doneBytes, total: Math.max(doneBytes, usage.layersSize), unit: 'bytes' });
  };
  if (missing.length && direct) {
    context.progress.update({ step: `reading ${missing.length} image${missing.length === 1 ? '' : 's'} from the layer store (each layer once)`, done: 0, total: usage.layersSize, unit: 'bytes' });
    await writeBlobsFromLayerStore(dir, info.dockerRootDir, missing, sizes, savedBytes, (n) => { written++; writtenBytes += n; }, context.signal);
  } else if (missing.length) {
    context.progress.update({ step: `saving ${missing.length} image${missing.length === 1 ? '' : 's'} (each layer once)`, done: 0, total: usage.layersSize, unit: 'bytes' });
    const stream = await engine.saveImages(missing.map((i) => i.id));
    try {
      for await (const { header, body } of readTar(stream, `the engine's save stream`)) {
        if ((header.typeflag !== '0' && header.typeflag !== '7') || !BLOB_MEMBER.test(header.name)) continue;
        const blob = await writeBlob(dir, body, savedBytes);
        sizes.set(blob.digest, blob.size);
        if (blob.written) { written++; writtenBytes += blob.size; }
        context.signal.throwIfAborted();
      }
    } finally {
      (stream as { destroy?: () => void }).destroy?.();
    }
  }
  for (const image of images) {
    for (const d of [image.id, ...image.diffIds]) {
      if (!sizes.has(d)) throw new EngineRequestError(500, `the engine's save of ${image.id} did not include ${d === image.id ? 'its config' : `layer ${d}`}`);
    }
  }

  const storeVolumes: StoreVolume[] = [];
  const helperImage = new HelperImage(engine);
  try {
    for (const [n, v] of volumes.entries()) {
      context.progress.update({ step: `exporting volume ${v.name}`, done: n, total: volumes.length, unit: 'items' });
      const detail = await engine.inspectVolume(v.name);
      const helper = await createHelper(engine, helperImage, { name: v.name }, 'read');
      let blob;
      try {
        const stream = await readVolumeArchive(engine, helper, v.name);
        try {
          blob = await writeBlob(dir, stream);
        } finally {
          (stream as { destroy?: () => void }).destroy?.();
        }
      } finally {
        await engine.removeContainer(helper, { force: true, volumes: false });
      }
      if (blob.written) { written++; writtenBytes += blob.size; }
      sizes.set(blob.digest, blob.size);
      const tree = await volumeTree(createReadStream(blobPath(dir, blob.digest), { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>, `volume ${v.name}`);
      storeVolumes.push({ name: v.name, driver: detail.driver, labels: detail.labels, options: detail.options, blob: blob.digest, contentDigest: tree.digest, entries: tree.records.size });
    }
  } finally {
    await helperImage.release();
  }

  context.progress.update({ step: 'writing the manifests' });
  const kinds = new Map<string, StoreBlob['kind']>();
  for (const image of images) {
    kinds.set(image.id, 'config');
    for (const d of image.diffIds) kinds.set(d, 'layer');
    const m = await writeBlob(dir, (async function* () { yield ociManifest(image, sizes); })());
    image.manifest = m.digest;
    sizes.set(m.digest, m.size);
    kinds.set(m.digest, 'manifest');
  }
  for (const v of storeVolumes) kinds.set(v.blob, 'volume');
  const blobs: StoreBlob[] = [...kinds].map(([digest, kind]) => ({ digest, size: sizes.get(digest)!, kind })).sort((a, b) => a.digest.localeCompare(b.digest));
  for (const b of blobs) {
    if (!(await present(blobPath(dir, b.digest), b.size))) throw new HostError(`blob ${b.digest} went missing from ${dir} during the export`);
  }
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: images.flatMap((i) => (i.repoTags.length ? i.repoTags : [undefined]).map((tag) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.manifest, size: sizes.get(i.manifest),
      ...(tag ? { annotations: { 'io.containerd.image.name': tag, 'org.opencontainers.image.ref.name': tag.slice(tag.lastIndexOf(':') + 1) } } : {}),
    }))),
  };
  const dockerManifest = images.map((i) => ({
    Config: `blobs/sha256/${i.id.slice(7)}`, RepoTags: i.repoTags.length ? i.repoTags : null, Layers: i.diffIds.map((d) => `blobs/sha256/${d.slice(7)}`),
  }));
  await writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(dockerManifest)}\n`);
  const remote: string[] = [];
  for (const v of storeVolumes) if (!(await localMountpoint(engine, v.name))) remote.push(v.name);
  const notMigrated = await notMigratedOn(engine, usage, images, options.volumes === 'none' ? undefined : storeVolumes.length, remote);
  const manifest: StoreManifest = {
    schemaVersion: 1, kind: 'stowage-migrate-store', createdAt: new Date(context.clock.now()).toISOString(), source,
    images, volumes: storeVolumes, blobs, notMigrated,
  };
  await writeFileAtomic(join(dir, STORE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  context.progress.end();
  return {
    schemaVersion: 1, action: 'export', dir, source, via: direct ? 'layer-store' : 'save',
    images: images.map((i) => ({ id: i.id, repoTags: i.repoTags, layers: i.diffIds.length })),
    volumes: storeVolumes.map((v) => ({ name: v.name, bytes: sizes.get(v.blob)!, contentDigest: v.contentDigest, entries: v.entries })),
    blobs: { count: blobs.length, bytes: blobs.reduce((n, b) => n + b.size, 0), written, writtenBytes },
    space, notMigrated, elapsedMs: Math.round(context.clock.monotonic() - started),
  };
}
