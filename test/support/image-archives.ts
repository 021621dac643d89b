/** Builds small docker-archive and OCI images in memory (tests only), with the project's own tar writer. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LayerEntry } from '../../src/image/layer-entry.js';
import { headerForEntry, tarBuffer } from '../../src/image/tar-writer.js';

export interface FakeFile {
  entry: Partial<LayerEntry> & { path: string; type: LayerEntry['type'] };
  content?: string | Buffer;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function layerTar(files: FakeFile[]): Buffer {
  return tarBuffer(files.map((f) => {
    const entry: LayerEntry = { mode: f.entry.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, ...f.entry };
    return { header: headerForEntry(entry), content: f.content === undefined ? undefined : Buffer.from(f.content) };
  }));
}

export interface FakeImage {
  layers: Buffer[];
  /** created_by per history entry; `empty` marks an entry without a layer. */
  history?: { createdBy: string; empty?: boolean | undefined }[];
}

export function configFor(image: FakeImage, platform = { os: 'linux', architecture: 'amd64' }): Buffer {
  const history = image.history ?? image.layers.map((_, i) => ({ createdBy: `/bin/sh -c step ${i}`, empty: false }));
  return Buffer.from(JSON.stringify({
    ...platform,
    config: { Env: ['PATH=/bin'] },
    rootfs: { type: 'layers', diff_ids: image.layers.map((l) => sha256(l)) },
    history: history.map((h) => ({ created_by: h.createdBy, ...(h.empty ? { empty_layer: true } : {}) })),
  }));
}

/** What `docker save` (v1.2 layout) writes; `mutate` may change members before packing. */
export function dockerArchive(image: FakeImage, mutate?: (members: Map<string, Buffer>, manifest: Record<string, unknown>[]) => void): Buffer {
  const config = configFor(image);
  const configName = `${sha256(config).slice(7)}.json`;
  const members = new Map<string, Buffer>();
  members.set(configName, config);
  const layerNames = image.layers.map((l, i) => `${sha256(`${i}${sha256(l)}`).slice(7)}/layer.tar`);
  image.layers.forEach((l, i) => members.set(layerNames[i]!, l));
  const manifest: Record<string, unknown>[] = [{ Config: configName, RepoTags: ['fake/image:latest'], Layers: layerNames }];
  mutate?.(members, manifest);
  members.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return tarBuffer([...members].map(([name, content]) => ({
    header: { name, typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 0 }, content,
  })));
}

/** An OCI layout's files: blobs (gzip layers), index.json with one manifest per platform. */
export function ociFiles(images: { image: FakeImage; platform: { os: string; architecture: string } }[], compress: (b: Buffer) => Buffer = (b) => gzipSync(b)): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const blob = (data: Buffer) => {
    const d = sha256(data);
    files.set(`blobs/sha256/${d.slice(7)}`, data);
    return { digest: d, size: data.length };
  };
  const manifests = images.map(({ image, platform }) => {
    const config = blob(configFor(image, platform));
    const layers = image.layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(compress(l)) }));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...blob(manifest), platform };
  });
  files.set('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests })));
  return files;
}

export function writeDir(dir: string, files: Map<string, Buffer>): void {
  for (const [name, data] of files) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
}

export function tarOf(files: Map<string, Buffer>): Buffer {
  return tarBuffer([...files].map(([name, content]) => ({ header: { name, typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 0 }, content })));
}

export async function* chunked(buf: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
