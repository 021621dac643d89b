/**
 * Images in the engine: read straight from overlay2's layer directories when the engine is local and they
 * are readable (about ten times faster than `docker save`), otherwise streamed from `/images/{name}/get`.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { BadInputError, EngineRequestError, HostError } from '../errors.js';
import type { EngineClient } from '../engine/engine-client.js';
import { readStoredImageConfig } from '../engine/image-store.js';
import { indexImageStream } from './archive-source.js';
import { assembleImage, diffIdsOf, type ImageIndex } from './image-index.js';
import { directReads, type LayerDirReads } from './layer-dir-reads.js';
import { hashNeeded, overlayLayer, walkOverlayDiff } from './overlay2-source.js';
import { readTreesXattrs, type TreeXattrs } from '../host/xattrs.js';
import type { LayerEntry } from './layer-entry.js';
import type { StepProgress } from '../progress.js';

export type EngineReadMode = 'auto' | 'direct' | 'export';

export interface EngineRead {
  image: ImageIndex;
  /** How the layers were read, and why not directly when they were streamed. */
  via: 'overlay2' | 'engine-export';
  directUnavailable?: string | undefined;
}

/** An engine image whose overlay2 layer directories can be read, with getfattr already running over them. */
export interface OverlayImage {
  name: string;
  /** Diff directories, bottom layer first. */
  dirs: string[];
  config: Record<string, unknown>;
  diffIds: string[];
  id: string;
  repoTags: string[];
  /** Extended attributes of every directory (one getfattr); undefined when getfattr is not installed. */
  xattrs: Promise<TreeXattrs[] | undefined>;
}

/** The image's overlay2 directories, or why they cannot be read. */
export async function overlayImage(engine: EngineClient, name: string): Promise<OverlayImage | { reason: string }> {
  if (engine.endpoint.transport.kind !== 'unix') return { reason: 'the engine is not local' };
  // both questions at once (a flatten waits for them before its first byte); the engine's answer first
  const inspected = engine.inspectImage(name);
  inspected.catch(() => undefined); // not asked for when the driver already says no
  const info = await engine.info();
  if (info.storageDriver !== 'overlay2') return { reason: `the storage driver is ${info.storageDriver || 'unknown'}, not overlay2` };
  if (info.containerdImageStore) return { reason: 'images live in the containerd image store' };
  const detail = await inspected;
  const data = detail.graphDriver.data;
  if (detail.graphDriver.name !== 'overlay2' || !data.UpperDir) return { reason: 'the image has no overlay2 directories' };
  const dirs = [...(data.LowerDir ? data.LowerDir.split(':').reverse() : []), data.UpperDir];
  try {
    await Promise.all(dirs.map((d) => access(d, constants.R_OK | constants.X_OK)));
  } catch {
    return { reason: 'the layer directories are not readable (run as root on the engine host)' };
  }
  // getfattr walks every directory: started before the config is read (its result is dropped if that fails)
  const xattrs = readTreesXattrs(dirs);
  xattrs.catch(() => undefined); // a reader that fails first must not leave an unhandled rejection
  const hex = detail.id.replace(/^sha256:/, '');
  let raw: Buffer;
  try {
    raw = await readStoredImageConfig(info.dockerRootDir, detail.id);
  } catch {
    return { reason: 'the image config is not readable in the engine\'s data root' };
  }
  if (createHash('sha256').update(raw).digest('hex') !== hex) return { reason: 'the image config on disk does not match the image ID' };
  const config = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  const diffIds = diffIdsOf(config);
  if (diffIds.length !== dirs.length) return { reason: `the config has ${diffIds.length} layers but overlay2 lists ${dirs.length} directories` };
  return { name, dirs, config, diffIds, id: detail.id, repoTags: detail.repoTags, xattrs };
}

/** A filesystem error while reading layer directories (the image removed or pruned meanwhile, a file unreadable) as HostError. */
function readFailure(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? new HostError(`${what} failed: ${code}`, "Retry, or use `source: 'export'`.", { cause: err }) : err;
}

/**
 * Indexes the layers of `image` from their directories (walked while getfattr runs); undefined when getfattr
 * is not installed. `digests` as for indexEngineImage.
 */
export async function indexOverlayImage(image: OverlayImage, progress?: StepProgress, digests: 'all' | 'needed' | 'none' = 'needed', reads: LayerDirReads = directReads): Promise<ImageIndex | undefined> {
  const { name, dirs } = image;
  const walked: LayerEntry[][] = [];
  for (let i = 0; i < dirs.length; i++) {
    // one counted step, not a line per layer directory: 33 overlay2 paths are no progress to a reader (issue 20)
    progress?.('reading the layer directories', { done: i, total: dirs.length, unit: 'items' });
    try {
      walked.push(await walkOverlayDiff(dirs[i]!, digests === 'all' ? 'all' : 'none', reads));
    } catch (err) {
      throw readFailure(err, `reading layer ${i} of ${name} from ${dirs[i]}`);
    }
  }
  progress?.('reading the layer directories', { done: dirs.length, total: dirs.length, unit: 'items' });
  const xattrs = await image.xattrs;
  if (!xattrs) return undefined;
  const layers = walked.map((entries, i) => overlayLayer(entries, xattrs[i]!, image.diffIds[i]!));
  if (digests === 'needed') {
    try {
      await hashNeeded(layers);
    } catch (err) {
      throw readFailure(err, `reading ${name}'s layer files`);
    }
  }
  return assembleImage({ kind: 'overlay2', reference: name }, image.id, image.repoTags, image.config, layers);
}

/**
 * `digests: 'needed'` (the default) hashes only the files that several layers write at the same path when
 * reading overlay2 directly; `all` hashes every file (for comparing whole filesystems). Archives and export
 * streams always hash everything, since their bytes pass by anyway. `none` hashes nothing (flatten hashes
 * the files it writes as they stream out).
 */
export async function indexEngineImage(engine: EngineClient, name: string, mode: EngineReadMode = 'auto', progress?: StepProgress, digests: 'all' | 'needed' | 'none' = 'needed'): Promise<EngineRead> {
  try {
    await engine.inspectImage(name);
  } catch (err) {
    // 404 no such image, 400 not a valid reference: both are the user's input, not an engine failure.
    if (err instanceof EngineRequestError && (err.statusCode === 404 || err.statusCode === 400)) {
      throw new BadInputError(`no such image in the engine: ${name}`, 'Check `docker images`, or give the path of an archive or OCI layout.', { cause: err });
    }
    throw err;
  }
  let directUnavailable: string | undefined;
  if (mode !== 'export') {
    const overlay = await overlayImage(engine, name);
    if ('reason' in overlay) {
      directUnavailable = overlay.reason;
    } else {
      const image = await indexOverlayImage(overlay, progress, digests);
      if (image) return { image, via: 'overlay2' };
      directUnavailable = 'getfattr (Debian package `attr`) is not installed';
    }
    if (mode === 'direct') throw new BadInputError(`cannot read ${name} from overlay2 directly: ${directUnavailable}`, "Use `source: 'export'` to stream it from the engine.");
  }
  progress?.(`streaming ${name} from the engine (/images/{name}/get)`);
  const detail = await engine.inspectImage(name);
  const stream = await engine.saveImage(detail.id);
  let image: ImageIndex;
  try {
    image = await indexImageStream(stream, name, `engine export of ${name}`, 'engine-export');
  } finally {
    // On an error mid-stream the response must not keep the socket (and the process) alive.
    (stream as { destroy?: () => void }).destroy?.();
  }
  image.repoTags = detail.repoTags;
  return { image, via: 'engine-export', directUnavailable };
}
