/** The options and results of `stowage migrate export|import|verify` (schema/migrate.schema.json). */
import type { ApplyResult } from '../plan/apply-plan.js';
import type { Plan } from '../plan/plan.js';
import type { EngineClient } from '../engine/engine-client.js';
import type { NotMigrated } from './store-manifest.js';

export interface MigrateExportOptions {
  /** The store directory: created when missing (its parent must exist); an earlier or unfinished store is added to. */
  dir: string;
  /** Named volumes to export: all of them, none, or these names. */
  volumes: 'all' | 'none' | string[];
}

export interface MigrateImportOptions {
  dir: string;
  /** Recreate the store's volumes (default true). */
  volumes?: boolean;
  /** Only plan: say what would be loaded, tagged and restored. */
  dryRun?: boolean;
}

export interface MigrateVerifyOptions {
  dir: string;
  /** Check the target's volumes too (default true). */
  volumes?: boolean;
}

/** Bytes the work needs against what the destination has free, measured before anything is written. */
export interface SpaceCheck {
  path: string;
  neededBytes: number;
  availableBytes: number;
}

export interface MigrateExportResult {
  schemaVersion: 1;
  action: 'export';
  dir: string;
  source: { endpoint: string; serverVersion: string; storageDriver: string };
  /** How the layers were read: from a local overlay2 engine's layer store, or through `docker save`. */
  via: 'layer-store' | 'save';
  images: { id: string; repoTags: string[]; layers: number }[];
  volumes: { name: string; bytes: number; contentDigest: string; entries: number }[];
  /** Unique blobs in the store, and those this run wrote (a blob already present is not written again). */
  blobs: { count: number; bytes: number; written: number; writtenBytes: number };
  space: SpaceCheck;
  notMigrated: NotMigrated[];
  elapsedMs: number;
}

export interface MigrateImportResult {
  schemaVersion: 1;
  action: 'import';
  dir: string;
  target: { endpoint: string; serverVersion: string; storageDriver: string };
  plan: Plan;
  dryRun: boolean;
  applied?: ApplyResult;
  space?: SpaceCheck | { path: string | undefined; unavailable: string };
  /** Layer bytes sent to the engine (layers the target had are not sent). */
  sentBytes: number;
  notMigrated: NotMigrated[];
  elapsedMs: number;
}

export type DifferenceCode =
  | 'blob-missing' | 'blob-corrupt'
  | 'image-missing' | 'image-diff-ids' | 'tag-missing' | 'tag-elsewhere'
  | 'volume-missing' | 'volume-content';

export interface Difference {
  code: DifferenceCode;
  /** What differs: a blob digest, an image (tag and short ID), a tag, a volume. */
  subject: string;
  detail: string;
  /** For blobs: the images and volumes that use it. */
  usedBy?: string[];
  /** For volumes: the first paths that differ. */
  paths?: { path: string; expected: string; actual: string }[];
}

export interface MigrateVerifyResult {
  schemaVersion: 1;
  action: 'verify';
  dir: string;
  target: { endpoint: string; serverVersion: string; storageDriver: string };
  checked: { blobs: number; blobBytes: number; images: number; tags: number; volumes: number };
  equal: boolean;
  differences: Difference[];
  elapsedMs: number;
}

export interface MigrateCopyOptions {
  source: EngineClient;
  target: EngineClient;
  /** Named volumes to copy: all of them, none, or these names. */
  volumes: 'all' | 'none' | string[];
  /** Only plan: say what would be loaded, tagged and filled. */
  dryRun?: boolean;
  /** Commit every container's writable layer as an image on the source first (commit-containers.ts). */
  containers?: boolean;
}

export interface MigrateCopyResult {
  schemaVersion: 1;
  action: 'copy';
  source: { endpoint: string; serverVersion: string; storageDriver: string };
  target: { endpoint: string; serverVersion: string; storageDriver: string };
  /** How layers were read: rebuilt from the source's layer store (local overlay2), or `docker save` per image. */
  via: 'layer-store' | 'save';
  plan: Plan;
  dryRun: boolean;
  applied?: ApplyResult;
  space?: SpaceCheck | { path: string | undefined; unavailable: string };
  /** Bytes sent to the target (layers it had are not sent). */
  sentBytes: number;
  /** With --containers: each container and the image its writable layer was committed as. */
  committed?: { container: string; image: string; tag: string }[];
  notMigrated: NotMigrated[];
  elapsedMs: number;
}

export type MigrateResult = MigrateExportResult | MigrateImportResult | MigrateVerifyResult | MigrateCopyResult;
