/** One entry point for every image source: a path (docker-archive, OCI archive or layout) or an engine image. */
import type { StepProgress } from '../progress.js';
import { stat } from 'node:fs/promises';
import { capabilityContext } from '../context.js';
import { BadInputError } from '../errors.js';
import type { EngineClient } from '../engine/engine-client.js';
import { indexArchiveFile } from './archive-source.js';
import { indexEngineImage, type EngineReadMode } from './engine-source.js';
import type { ImageIndex } from './image-index.js';
import { parseImageReference, type ImageReference } from './image-reference.js';
import { parsePlatform } from './manifest-resolve.js';
import { indexOciLayout } from './oci-layout.js';

export type SourceChoice = 'auto' | 'engine' | 'overlay2' | 'export' | 'archive' | 'oci';

export interface OpenImageOptions {
  source?: SourceChoice;
  /** `os/arch[/variant]` for OCI indexes. */
  platform?: string | undefined;
  /**
   * The engine, asked for only when the image is in it (a capability passes `context.engine`); without one,
   * an engine image is read from the engine the docker CLI would use.
   */
  engine?: () => Promise<EngineClient>;
  progress?: StepProgress | undefined;
  /** Hash every file even when reading overlay2 directly (default: only files several layers write). */
  allDigests?: boolean;
}

export interface OpenedImage {
  image: ImageIndex;
  /** Why the engine image was streamed rather than read from overlay2, when it was. */
  note?: string | undefined;
}

/** Where an image argument is: an archive or layout on disk, or an image in the engine. */
export type ImageLocation =
  | { kind: 'path'; path: string; directory: boolean }
  | { kind: 'engine'; reference: ImageReference };

/**
 * Resolves `reference` once, without asking any engine: an existing file or directory (when the source allows
 * one), else an image reference checked against Docker's grammar. A path-looking argument that does not exist
 * is "no such file", and a string no engine would take as an image is refused here (BadInputError).
 */
export async function locateImage(reference: string, choice: SourceChoice = 'auto'): Promise<ImageLocation> {
  const fromDisk = choice === 'archive' || choice === 'oci' || choice === 'auto';
  // Asked for the engine, only what cannot be an image name is taken for a path: `x.tar` may be a repository.
  const pathLike = fromDisk ? looksLikePath(reference) : /^(\.{1,2}\/|\/|~)/.test(reference);
  if (fromDisk || pathLike) {
    const s = await stat(reference).catch(() => undefined);
    if (s && fromDisk) return { kind: 'path', path: reference, directory: s.isDirectory() };
    if (s) throw new BadInputError(`${reference} is a file or directory, not an image in the engine`, 'Read it as an archive or OCI layout (the default source does).');
    if (pathLike || choice !== 'auto') throw new BadInputError(`no such file or directory: ${reference}`);
  }
  return { kind: 'engine', reference: parseImageReference(reference) };
}

/** Reads an image's layers into an ImageIndex, choosing the fastest source that applies. */
export async function openImage(reference: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  return openLocated(await locateImage(reference, options.source), options);
}

/** openImage for an argument already resolved by locateImage. */
export async function openLocated(where: ImageLocation, options: OpenImageOptions = {}, digests?: 'all' | 'needed' | 'none'): Promise<OpenedImage> {
  const choice = options.source ?? 'auto';
  const platform = options.platform ? parsePlatform(options.platform) : undefined;
  if (where.kind === 'path') {
    return { image: where.directory ? await indexOciLayout(where.path, { platform }) : await indexArchiveFile(where.path, { platform }) };
  }
  const name = where.reference.text;
  const engine = await (options.engine ?? capabilityContext().engine)();
  const mode: EngineReadMode = choice === 'overlay2' ? 'direct' : choice === 'export' ? 'export' : 'auto';
  const read = await indexEngineImage(engine, name, mode, options.progress, digests ?? (options.allDigests ? 'all' : 'needed'));
  return { image: read.image, note: read.directUnavailable && read.via === 'engine-export' && choice !== 'export' ? `streamed from the engine: ${read.directUnavailable}` : undefined };
}

/** A reference no engine would take for an image name: a relative or absolute path, or an archive name. */
function looksLikePath(reference: string): boolean {
  return /^(\.{1,2}\/|\/|~)/.test(reference) || /\.(tar|tar\.gz|tgz|tar\.zst|oci)$/.test(reference);
}
