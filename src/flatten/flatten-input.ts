/**
 * A flatten's input, resolved once: where the argument is (one look at the disk, the reference checked
 * before any engine call), the engine (one connection, opened when something needs it), and the image's
 * index. For the default flatten of a local overlay2 image into the engine the squashed layer starts
 * uploading here, before the layers are indexed (the fast path, early-import.ts).
 */
import type { EngineClient } from '../engine/engine-client.js';
import { EngineRequestError, RefusedError } from '../errors.js';
import { hasGetfattr } from '../host/xattrs.js';
import { indexOverlayImage, overlayImage, type OverlayImage } from '../image/engine-source.js';
import { sharedReads } from '../image/layer-dir-reads.js';
import type { ImageIndex } from '../image/image-index.js';
import { splitTag } from '../image/image-reference.js';
import { locateImage, openLocated, type ImageLocation, type OpenImageOptions } from '../image/open-image.js';
import { startEarlyImport, type EarlyImport } from './early-import.js';
import type { FlattenMode } from './flatten-plan.js';
import type { FlattenVerifier } from './flatten-verifier.js';
import type { StreamFault } from './squashed-stream.js';

export interface FlattenInputOptions extends Pick<OpenImageOptions, 'source' | 'platform'> {
  /** The engine, connected when something needs it (the capability context's). */
  engine: () => Promise<EngineClient>;
  mode: FlattenMode;
  output: { kind: 'engine' | 'docker-archive' | 'oci'; tag?: string | undefined };
  force: boolean;
  faults: { written?: StreamFault | undefined; sent?: StreamFault | undefined };
  progressBytes?: ((step: string, done: number, total?: number) => void) | undefined;
  /** Aborted: the fast path's upload stops at its next chunk. */
  signal?: AbortSignal | undefined;
}

export interface FlattenInput {
  image: ImageIndex;
  /** Why an engine image was streamed rather than read from overlay2, when it was. */
  note?: string | undefined;
  /** Read from the engine (overlay2 or its export stream). */
  fromEngine: boolean;
  /** The engine connection, when anything needed one. */
  engine: EngineClient | undefined;
  /** The named base image, resolved like the input. */
  base: { text: string; where: ImageLocation } | undefined;
  /** The fast path's import, already sending the squashed layer, and the tag it checked. */
  early?: { import: EarlyImport; tag: string } | undefined;
  /** Stops an early import still running and drops its image: the flatten failed. */
  abandon(): Promise<void>;
}

/** Resolves and indexes the input of a flatten; starts the fast path's upload when it applies. */
export async function openFlattenInput(reference: string, options: FlattenInputOptions, verifier: FlattenVerifier, progress: (text: string) => void): Promise<FlattenInput> {
  const where = await locateImage(reference, options.source ?? 'auto');
  const baseName = options.mode.kind === 'keep-base' ? options.mode.base : undefined;
  const base = baseName ? { text: baseName, where: await locateImage(baseName) } : undefined;
  let connection: Promise<EngineClient> | undefined;
  const connect = () => (connection ??= options.engine());
  progress(`reading ${reference}`);

  const fast = await fastPath(where, options, connect);
  let early: FlattenInput['early'];
  // the upload's merged walk and the index walk the same directories: each readdir and lstat is made once
  const reads = sharedReads();
  if (fast) {
    const tag = options.output.tag ?? defaultTag({ repoTags: fast.overlay.repoTags, id: fast.overlay.id, source: { kind: 'overlay2', reference } }, reference);
    await refuseExistingTag(fast.engine, tag, options.force);
    progress('importing the merged layer directories into the engine while the layers are indexed');
    const started = startEarlyImport(fast.engine, fast.overlay.dirs, fast.overlay.xattrs, reads, {
      hash: verifier.enabled ? 'crc32' : 'none',
      check: verifier.enabled ? verifier.checkSent : undefined,
      // the size is not known yet: the layers are still being walked
      onBytes: options.progressBytes && ((sent) => options.progressBytes!('importing the squashed layer into the engine', sent)),
      faults: options.faults,
      signal: options.signal,
    });
    verifier.written = started.squashed.written;
    verifier.sent = started.squashed.sent;
    early = { import: started, tag };
  }
  const abandon = async () => {
    if (!early) return;
    // The flatten failed while the early import may still run: stop it, and drop its image if it got one.
    early.import.cancel();
    const id = await early.import.imported.catch(() => undefined);
    if (id) await fast!.engine.removeImage(id).catch(() => {});
  };
  try {
    // The index walk starts once getfattr has answered: beside it getfattr, which the upload's first byte waits
    // for, took 205-477 ms instead of about 100 (traced). The upload's merged walk then makes the calls first.
    if (fast) await fast.overlay.xattrs;
    const opened = fast
      ? { image: (await indexOverlayImage(fast.overlay, progress, 'none', reads))!, note: undefined }
      // an engine image read from overlay2 gets no digests: flatten needs none to plan
      : await openLocated(where, { source: options.source, platform: options.platform, engine: connect, progress }, 'none');
    const image = opened.image;
    const fromEngine = image.source.kind === 'overlay2' || image.source.kind === 'engine-export';
    let engine: EngineClient | undefined;
    if (connection || fromEngine || options.output.kind === 'engine' || options.mode.kind === 'keep-base') {
      try {
        engine = await connect();
      } catch (err) {
        // --keep-base with a named base on disk can do without an engine
        if (fromEngine || options.output.kind === 'engine' || (options.mode.kind === 'keep-base' && !options.mode.base)) throw err;
      }
    }
    return { image, note: opened.note, fromEngine, engine, base, early, abandon };
  } catch (err) {
    await abandon();
    throw err;
  }
}

/**
 * The input of the fast path, when it applies: every layer into one, into the engine, from an engine image
 * whose overlay2 directories (and their xattrs) can be read here.
 */
async function fastPath(where: ImageLocation, options: FlattenInputOptions, connect: () => Promise<EngineClient>): Promise<{ engine: EngineClient; overlay: OverlayImage } | undefined> {
  const mode = options.mode;
  const whole = mode.kind === 'all' || (mode.kind === 'from-layer' && mode.layer === 0);
  const choice = options.source ?? 'auto';
  if (where.kind !== 'engine' || options.output.kind !== 'engine' || !whole || !(choice === 'auto' || choice === 'engine' || choice === 'overlay2') || !hasGetfattr()) return undefined;
  const engine = await connect();
  // Anything unusual (no such image, another driver, a remote engine) is left to the general path to report.
  const overlay = await overlayImage(engine, where.reference.text).catch(() => undefined);
  if (!overlay || 'reason' in overlay) return undefined;
  return { engine, overlay };
}

/** The tag an output gets when none is given: the input's name with `-flat` added to its tag. */
export function defaultTag(image: Pick<ImageIndex, 'repoTags' | 'id' | 'source'>, reference: string): string {
  const named = image.repoTags.find((t) => t && t !== '<none>:<none>')
    ?? (image.source.kind === 'overlay2' || image.source.kind === 'engine-export' ? (/^(sha256:)?[0-9a-f]{12,64}$/.test(reference) ? undefined : reference) : undefined);
  if (named) {
    const { repo, tag } = splitTag(named);
    return `${repo}:${tag}-flat`;
  }
  return `stowage-flat:${(image.id ?? 'sha256:unknown').slice(7, 19)}`;
}

/** Refuses an engine output whose tag exists, unless `force`. */
export async function refuseExistingTag(engine: EngineClient, tag: string, force: boolean): Promise<void> {
  const exists = await engine.inspectImage(tag).then(() => true, (err) => {
    if (err instanceof EngineRequestError && err.statusCode === 404) return false;
    throw err;
  });
  if (exists && !force) throw new RefusedError(`the engine already has an image tagged ${tag}`, 'Pass `force: true` to move the tag, or choose another with `output.tag`.');
}
