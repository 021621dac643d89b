/** One entry point for every image source: a path (docker-archive, OCI archive or layout) or an engine image. */
import { stat } from 'node:fs/promises';
import { BadInputError } from '../errors.js';
import { connectEngine, type ConnectOptions } from '../engine/dockerode-engine.js';
import { indexArchiveFile } from './archive-source.js';
import { indexEngineImage, type EngineReadMode } from './engine-source.js';
import type { ImageIndex } from './image-index.js';
import { parsePlatform } from './manifest-resolve.js';
import { indexOciLayout } from './oci-layout.js';

export type SourceChoice = 'auto' | 'engine' | 'overlay2' | 'export' | 'archive' | 'oci';

export interface OpenImageOptions {
  source?: SourceChoice;
  /** `os/arch[/variant]` for OCI indexes. */
  platform?: string | undefined;
  connect?: ConnectOptions;
  progress?: (text: string) => void;
  /** Hash every file even when reading overlay2 directly (default: only files several layers write). */
  allDigests?: boolean;
}

export interface OpenedImage {
  image: ImageIndex;
  /** Why the engine image was streamed rather than read from overlay2, when it was. */
  note?: string | undefined;
}

/** Reads an image's layers into an ImageIndex, choosing the fastest source that applies. */
export async function openImage(reference: string, options: OpenImageOptions = {}): Promise<OpenedImage> {
  const choice = options.source ?? 'auto';
  const platform = options.platform ? parsePlatform(options.platform) : undefined;
  if (choice === 'archive' || choice === 'oci' || choice === 'auto') {
    const s = await stat(reference).catch(() => undefined);
    if (s?.isDirectory()) return { image: await indexOciLayout(reference, { platform }) };
    if (s?.isFile()) return { image: await indexArchiveFile(reference, { platform }) };
    if (choice !== 'auto' || looksLikePath(reference)) throw new BadInputError(`no such file or directory: ${reference}`);
  }
  const engine = await connectEngine(options.connect ?? {});
  const mode: EngineReadMode = choice === 'overlay2' ? 'direct' : choice === 'export' ? 'export' : 'auto';
  const read = await indexEngineImage(engine, reference, mode, options.progress, options.allDigests ? 'all' : 'needed');
  return { image: read.image, note: read.directUnavailable && read.via === 'engine-export' && choice !== 'export' ? `streamed from the engine: ${read.directUnavailable}` : undefined };
}

/** A reference no engine would take for an image name: a relative or absolute path, or an archive name. */
function looksLikePath(reference: string): boolean {
  return /^(\.{1,2}\/|\/)/.test(reference) || /\.(tar|tar\.gz|tgz|tar\.zst|oci)$/.test(reference);
}
