/**
 * From an archive's manifests to an ImageIndex: docker-archive `manifest.json` and OCI `index.json` (with
 * platform selection), checking every path stays inside the archive and every digest matches.
 */
import { createHash } from 'node:crypto';
import { BadInputError } from '../errors.js';
import { assembleImage, diffIdsOf, type ImageIndex } from './image-index.js';
import type { LayerIndex } from './layer-index.js';

/** Where an archive's members come from: a stream read once, or a directory. */
export interface ArchiveStore {
  /** Names the input in errors. */
  readonly where: string;
  /** A member's bytes (small JSON files only), or undefined when absent. */
  bytes(path: string): Promise<Buffer | undefined>;
  /** A layer member read into an index, or undefined when absent. */
  layer(path: string): Promise<LayerIndex | undefined>;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw new BadInputError(`platform "${text}" is not OS/ARCH[/VARIANT]`);
  return { os, architecture, variant };
}

export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** Rejects absolute paths and `..`; returns the normalised member path. */
export function memberPath(p: unknown, where: string, what: string): string {
  if (typeof p !== 'string' || !p) throw new BadInputError(`${where}: ${what} names no path`);
  const parts: string[] = [];
  if (p.startsWith('/')) throw new BadInputError(`${where}: ${what} names "${p}", a path outside the archive`);
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!parts.length) throw new BadInputError(`${where}: ${what} names "${p}", a path outside the archive`);
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/');
}

function parseJson(data: Buffer, where: string, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new BadInputError(`${where}: ${what} is not valid JSON (${(err as Error).message})`);
  }
}

async function jsonMember(store: ArchiveStore, path: string, what: string): Promise<{ data: Buffer; value: unknown }> {
  const data = await store.bytes(path);
  if (!data) throw new BadInputError(`${store.where}: ${what} "${path}" is missing from the archive`);
  return { data, value: parseJson(data, store.where, what) };
}

/** A layer's index; its read errors gain the layer's position in the manifest. */
async function layerAt(store: ArchiveStore, path: string, i: number): Promise<LayerIndex | undefined> {
  try {
    return await store.layer(path);
  } catch (err) {
    if (err instanceof BadInputError) throw new BadInputError(`${err.message} (manifest layer ${i})`, err.hint, { cause: err });
    throw err;
  }
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A docker-archive (`docker save`): manifest.json names the config and the layer members. */
export async function resolveDockerArchive(store: ArchiveStore, source: ImageIndex['source'], manifestData: Buffer, wantTag?: string): Promise<ImageIndex> {
  const where = store.where;
  const manifest = parseJson(manifestData, where, 'manifest.json');
  if (!Array.isArray(manifest) || !manifest.length) throw new BadInputError(`${where}: manifest.json lists no image`);
  const entries = manifest as { Config?: unknown; RepoTags?: unknown; Layers?: unknown }[];
  const chosen = (wantTag && entries.find((m) => Array.isArray(m.RepoTags) && m.RepoTags.includes(wantTag))) || entries[0]!;
  const configPath = memberPath(chosen.Config, where, 'manifest.json Config');
  const { data: configData, value: config } = await jsonMember(store, configPath, 'image config');
  if (!config || typeof config !== 'object') throw new BadInputError(`${where}: image config "${configPath}" is not an object`);
  const id = sha256(configData);
  const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(configPath);
  if (named && `sha256:${named[1]}` !== id) {
    throw new BadInputError(`${where}: digest mismatch: image config "${configPath}" hashes to ${id}`);
  }
  if (!Array.isArray(chosen.Layers)) throw new BadInputError(`${where}: manifest.json has no Layers list`);
  const diffIds = diffIdsOf(config as Record<string, unknown>);
  if (diffIds.length !== chosen.Layers.length) {
    throw new BadInputError(`${where}: manifest.json lists ${chosen.Layers.length} layers but the config has ${diffIds.length} diff_ids`);
  }
  const layers: LayerIndex[] = [];
  for (let i = 0; i < chosen.Layers.length; i++) {
    const path = memberPath(chosen.Layers[i], where, `manifest.json layer ${i}`);
    const layer = await layerAt(store, path, i);
    if (!layer) throw new BadInputError(`${where}: layer ${i} ("${path}") is missing from the archive`);
    if (layer.diffId !== diffIds[i]) {
      throw new BadInputError(`${where}: digest mismatch in layer ${i} ("${path}"): content hashes to ${layer.diffId}, config says ${diffIds[i]}`);
    }
    layers.push(layer);
  }
  const tags = Array.isArray(chosen.RepoTags) ? chosen.RepoTags.map(String) : [];
  return assembleImage(source, id, tags, config as Record<string, unknown>, layers);
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

function blobPath(d: Descriptor, where: string, what: string): string {
  const m = typeof d.digest === 'string' ? /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/.exec(d.digest) : null;
  if (!m) throw new BadInputError(`${where}: ${what} has a malformed digest ${JSON.stringify(d.digest)}`);
  return `blobs/${m[1]}/${m[2]}`;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

async function verifiedJson(store: ArchiveStore, d: Descriptor, what: string): Promise<{ value: Record<string, unknown>; digest: string }> {
  const path = blobPath(d, store.where, what);
  const { data, value } = await jsonMember(store, path, what);
  const digest = sha256(data);
  if (digest !== d.digest) throw new BadInputError(`${store.where}: digest mismatch: ${what} ${d.digest} hashes to ${digest}`);
  if (!value || typeof value !== 'object') throw new BadInputError(`${store.where}: ${what} is not an object`);
  return { value: value as Record<string, unknown>, digest };
}

function platformText(p: Descriptor['platform']): string {
  return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown';
}

/** Picks the manifest for `platform` from an index, following nested indexes. */
async function pickManifest(store: ArchiveStore, index: Record<string, unknown>, platform: Platform | undefined, depth = 0): Promise<Descriptor> {
  const where = store.where;
  if (depth > 4) throw new BadInputError(`${where}: image indexes nested too deep`);
  const manifests = (Array.isArray(index.manifests) ? index.manifests : []) as Descriptor[];
  const images = manifests.filter((m) => !(m.platform?.os === 'unknown' && m.platform?.architecture === 'unknown')
    && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  if (!images.length) throw new BadInputError(`${where}: the image index lists no image manifest`);
  const want = platform ?? hostPlatform();
  const matching = images.filter((m) => !m.platform || (m.platform.os === want.os && m.platform.architecture === want.architecture
    && (!want.variant || m.platform.variant === want.variant)));
  let chosen: Descriptor | undefined = matching[0];
  if (!chosen && !platform && images.length === 1) chosen = images[0];
  if (!chosen) {
    throw new BadInputError(`${where}: no manifest for platform ${platformText(want)}; the index has ${images.map((m) => platformText(m.platform)).join(', ')}`,
      'Choose one with `platform` (OS/ARCH[/VARIANT]).');
  }
  if (chosen.mediaType && INDEX_TYPES.has(chosen.mediaType)) {
    const nested = await verifiedJson(store, chosen, 'nested image index');
    return pickManifest(store, nested.value, platform, depth + 1);
  }
  return chosen;
}

/** An OCI image layout (directory or archive): index.json, then manifest, config and layer blobs. */
export async function resolveOciLayout(store: ArchiveStore, source: ImageIndex['source'], indexData: Buffer, platform?: Platform): Promise<ImageIndex> {
  const where = store.where;
  const index = parseJson(indexData, where, 'index.json');
  if (!index || typeof index !== 'object') throw new BadInputError(`${where}: index.json is not an object`);
  const descriptor = await pickManifest(store, index as Record<string, unknown>, platform);
  const { value: manifest } = await verifiedJson(store, descriptor, 'image manifest');
  if (manifest.manifests) {
    // index.json pointed at an index blob (as `docker save` of Docker 25+ and some tools write it)
    const nested = await pickManifest(store, manifest, platform, 1);
    return resolveManifest(store, source, (await verifiedJson(store, nested, 'image manifest')).value, nested, platform);
  }
  return resolveManifest(store, source, manifest, descriptor, platform);
}

async function resolveManifest(store: ArchiveStore, source: ImageIndex['source'], manifest: Record<string, unknown>, descriptor: Descriptor, platform?: Platform): Promise<ImageIndex> {
  const where = store.where;
  const configDesc = manifest.config as Descriptor | undefined;
  if (!configDesc) throw new BadInputError(`${where}: image manifest ${descriptor.digest} has no config`);
  const { value: config, digest: id } = await verifiedJson(store, configDesc, 'image config');
  // an index entry without a platform matches any: the config says what the image really is (issue 20)
  const own = { os: config.os as string | undefined, architecture: config.architecture as string | undefined, variant: config.variant as string | undefined };
  if (platform && ((own.os && own.os !== platform.os) || (own.architecture && own.architecture !== platform.architecture)
    || (platform.variant && own.variant && own.variant !== platform.variant))) {
    throw new BadInputError(`${where}: no manifest for platform ${platformText(platform)}; the image is ${platformText(own)}`);
  }
  const layerDescs = (Array.isArray(manifest.layers) ? manifest.layers : []) as Descriptor[];
  const diffIds = diffIdsOf(config);
  if (diffIds.length !== layerDescs.length) {
    throw new BadInputError(`${where}: the manifest lists ${layerDescs.length} layers but the config has ${diffIds.length} diff_ids`);
  }
  const layers = [];
  for (let i = 0; i < layerDescs.length; i++) {
    const d = layerDescs[i]!;
    const path = blobPath(d, where, `layer ${i}`);
    const layer = await layerAt(store, path, i);
    if (!layer) throw new BadInputError(`${where}: layer ${i} (blob ${d.digest}) is missing`);
    if (layer.storedDigest !== d.digest) {
      throw new BadInputError(`${where}: digest mismatch in layer ${i}: blob ${d.digest} hashes to ${layer.storedDigest}`);
    }
    if (layer.diffId !== diffIds[i]) {
      throw new BadInputError(`${where}: digest mismatch in layer ${i}: uncompressed content hashes to ${layer.diffId}, config says ${diffIds[i]}`);
    }
    layers.push({ ...layer, mediaType: d.mediaType, compressedBytes: layer.compression === 'none' ? undefined : layer.storedBytes });
  }
  const annotations = (descriptor.annotations ?? {}) as Record<string, string>;
  const ref = annotations['io.containerd.image.name'] ?? annotations['org.opencontainers.image.ref.name'];
  return assembleImage(source, id, ref ? [ref] : [], config, layers);
}
