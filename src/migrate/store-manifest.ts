/**
 * The migrate store on disk: an OCI image layout (oci-layout, index.json, blobs/sha256/…) that also holds a
 * docker-archive manifest.json, which is what `docker save` writes since Docker 25, so `tar -cC DIR . |
 * docker load` loads it without stowage; and stowage-migrate.json, the list of what was exported with the
 * sha256 and size of every blob, written last: a store without it is an export that did not finish.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';

export const STORE_MANIFEST = 'stowage-migrate.json';
export const OCI_LAYOUT = 'oci-layout';
export const OCI_LAYOUT_TEXT = '{"imageLayoutVersion":"1.0.0"}\n';

export type BlobKind = 'config' | 'layer' | 'manifest' | 'volume';

export interface StoreBlob {
  digest: string;
  size: number;
  kind: BlobKind;
}

export interface StoreImage {
  /** The image ID: the sha256 of its config blob. */
  id: string;
  repoTags: string[];
  /** `repo@sha256:…` as the source engine had them; an engine takes these only from a registry. */
  repoDigests: string[];
  /** The layers' diff IDs, bottom first; each is also the digest of its (uncompressed) layer blob. */
  diffIds: string[];
  /** The OCI manifest blob written for it (listed in index.json). */
  manifest: string;
}

export interface StoreVolume {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** The tar of its contents as the engine's archive API gave it. */
  blob: string;
  /** Order-independent digest of the tree: paths, types, modes, owners, sizes, content, links, xattrs (volume-tree.ts). */
  contentDigest: string;
  entries: number;
}

export interface NotMigrated {
  kind: 'build-cache' | 'containers' | 'networks' | 'plugins' | 'swarm' | 'anonymous-volumes' | 'repo-digests' | 'volume-xattrs' | 'sparse-files';
  count?: number;
  names?: string[];
  reason: string;
}

export interface StoreManifest {
  schemaVersion: 1;
  kind: 'stowage-migrate-store';
  createdAt: string;
  source: { endpoint: string; serverVersion: string; storageDriver: string };
  images: StoreImage[];
  volumes: StoreVolume[];
  blobs: StoreBlob[];
  notMigrated: NotMigrated[];
}

export function blobPath(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return join(dir, 'blobs', alg!, hex!);
}

/** Reads DIR's manifest; a missing DIR, a DIR that is no store, or an unfinished export is bad input. */
export async function readStoreManifest(dir: string): Promise<StoreManifest> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw new BadInputError(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as NodeJS.ErrnoException).code}`,
      'Give the directory `stowage migrate export` wrote.');
  }
  if (!st.isDirectory()) throw new BadInputError(`${dir} is not a directory`, 'Give the directory `stowage migrate export` wrote.');
  let text: string;
  try {
    text = await readFile(join(dir, STORE_MANIFEST), 'utf8');
  } catch {
    const entries = await readdir(dir);
    throw new BadInputError(entries.includes(OCI_LAYOUT)
      ? `${dir} holds an export that did not finish (no ${STORE_MANIFEST})`
      : `${dir} is not a stowage migrate store (no ${STORE_MANIFEST})`,
    entries.includes(OCI_LAYOUT) ? 'Run `stowage migrate export` into it again: it keeps the blobs already written.' : 'Give the directory `stowage migrate export` wrote.');
  }
  let manifest: StoreManifest;
  try {
    manifest = JSON.parse(text) as StoreManifest;
  } catch {
    throw new BadInputError(`${join(dir, STORE_MANIFEST)} is not valid JSON`);
  }
  if (manifest.kind !== 'stowage-migrate-store' || manifest.schemaVersion !== 1 || !Array.isArray(manifest.images) || !Array.isArray(manifest.blobs)) {
    throw new BadInputError(`${join(dir, STORE_MANIFEST)} is not a stowage migrate manifest of schema version 1`);
  }
  return manifest;
}

/** Which images and volumes use each blob, for naming what a bad blob breaks. */
export function blobUsers(manifest: StoreManifest): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const add = (digest: string, who: string) => users.set(digest, [...(users.get(digest) ?? []), who]);
  for (const i of manifest.images) {
    const name = imageName(i);
    add(i.id, name);
    add(i.manifest, name);
    for (const l of i.diffIds) if (!users.get(l)?.includes(name)) add(l, name);
  }
  for (const v of manifest.volumes) add(v.blob, `volume ${v.name}`);
  return users;
}

/** `repo:tag (sha256:12 hex)`, or the short ID alone for an untagged image. */
export function imageName(image: Pick<StoreImage, 'id' | 'repoTags'>): string {
  const short = image.id.slice(0, 19);
  return image.repoTags.length ? `${image.repoTags[0]} (${short})` : `image ${short}`;
}
