/**
 * `stowage flatten`: rewrites an image into fewer layers and proves the result equal to the original.
 * Read the input's index (any source analyze reads), plan which layers stay, compute the squashed layer
 * from the union trees, stream it (content read in place from overlay2, or spooled once from a stream) into
 * the engine, a docker-archive or an OCI layout, and compare the output's merged filesystem with the input's:
 * a file output is read back before it is renamed into place; into the engine, the layer is verified from
 * the very bytes sent (read as they go) and the engine's recorded diff IDs must be their digests.
 * A destination never holds a partial result: files are renamed into place after verification, and an
 * engine image is loaded under a temporary tag and tagged only once it has been verified.
 */
import { analyzeLayers } from '../analyze/layer-analysis.js';
import { connectEngine } from '../engine/dockerode-engine.js';
import type { EngineClient } from '../engine/engine-client.js';
import { EngineRequestError, RefusedError } from '../errors.js';
import { indexArchiveFile } from '../image/archive-source.js';
import { indexOverlayImage, overlayImage, type OverlayImage } from '../image/engine-source.js';
import { hasGetfattr } from '../host/xattrs.js';
import { historyOf, type ImageIndex } from '../image/image-index.js';
import { openImageContent } from '../image/image-content.js';
import { writeDockerArchive } from '../image/image-writer-docker-archive.js';
import { writeOciLayout } from '../image/image-writer-oci-layout.js';
import { refuseExisting, type ImageToWrite, type OutputLayer, type WrittenImage } from '../image/image-writer.js';
import { layerTarSize } from '../image/layer-tar-stream.js';
import { indexOciLayout } from '../image/oci-layout.js';
import { contentDigest } from '../image/content-ref.js';
import { mapLimit } from '../map-limit.js';
import { locateImage, openLocated, type ImageLocation, type OpenedImage, type OpenImageOptions } from '../image/open-image.js';
import { parseTagName, splitTag } from '../image/image-reference.js';
import { UnionTree } from '../image/union-tree.js';
import { rewriteConfig } from './config-rewrite.js';
import { planFlatten, type BaseCandidate, type FlattenMode } from './flatten-plan.js';
import { squashImage } from './squash.js';
import { canonicalUnion, compareUnions } from './union-compare.js';
import { writeIntoEngine } from './engine-output.js';
import { VerificationError } from './verification-error.js';
import { CHECKS, passed, skipped, type VerificationCheck, type VerificationReport } from './verification-report.js';
import { engineSizeOf, recordedLayerSizes } from './layer-sizes.js';
import type { LayerIndex } from '../image/layer-index.js';
import { startEarlyImport, type EarlyImport } from './early-import.js';
import { SENT_CONTENT_HASH, squashedStream } from './squashed-stream.js';
import { emptyDigest, type ContentHashKind } from '../image/content-hash.js';

export type FlattenOutput =
  | { kind: 'engine'; tag?: string | undefined }
  | { kind: 'docker-archive'; path: string; tag?: string | undefined }
  | { kind: 'oci'; dir: string; tag?: string | undefined };

export interface FlattenOptions extends OpenImageOptions {
  mode?: FlattenMode;
  output?: FlattenOutput;
  /** Replace an existing tag, file or directory. */
  force?: boolean;
  /** Compare the output's merged filesystem with the input's (default true). */
  verify?: boolean;
  /** Directory for the spool file when the source is a stream (default: the OS temp directory). */
  spoolDir?: string | undefined;
  /** gzip level of new OCI layers. */
  gzipLevel?: number | undefined;
  now?: () => number;
  /**
   * Tests only: `written` alters the squashed layer's bytes before verification reads them (a writer bug),
   * `sent` after (bytes the engine gets but verification never saw).
   */
  faults?: { written?: (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer>; sent?: (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer> } | undefined;
}

export interface ImageFigures {
  layers: number;
  /** Uncompressed layer tar bytes. */
  tarBytes: number;
  /** Content bytes summed over every layer. */
  bytes: number;
  /** Earlier copies overwritten or deleted by later layers (analyze's figure). */
  wastedBytes: number;
}

export interface FlattenResult {
  input: ImageFigures & { reference: string; source: string; id: string | undefined; note?: string | undefined };
  output: ImageFigures & { kind: FlattenOutput['kind']; target: string; id: string; manifestDigest?: string | undefined };
  plan: { keep: number; squashed: number; base?: string | undefined; mode: string };
  squashedLayer: { entries: number; files: number; bytes: number; hardlinks: number; whiteouts: number; opaques: number; tarBytes: number };
  wastedBytesRemoved: number;
  contentVia: 'in-place' | 'spool';
  /** What was checked against what (see verification-report.ts). */
  verification: VerificationReport;
  timings: { readMs: number; writeMs: number; verifyMs: number; totalMs: number };
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

function unionOfIndex(image: ImageIndex): UnionTree {
  const tree = new UnionTree({}, `output ${image.source.reference}`);
  image.layers.forEach((l, i) => { for (const e of l.entries) tree.apply(i, e); });
  return tree;
}

function figures(image: ImageIndex): ImageFigures {
  const a = analyzeLayers(image);
  return { layers: image.layers.length, tarBytes: image.layers.reduce((s, l) => s + l.tarBytes, 0), bytes: a.totalBytes, wastedBytes: a.wastedBytes };
}

/** Flattens `reference` as `options` say; returns what was written and measured. */
export async function flattenImage(reference: string, options: FlattenOptions = {}): Promise<FlattenResult> {
  const now = options.now ?? (() => performance.now());
  const progress = options.progress ?? (() => {});
  const t0 = now();
  const output: FlattenOutput = options.output ?? { kind: 'engine' };
  const force = options.force ?? false;
  const verify = options.verify ?? true;
  const faults = options.faults ?? {};
  if (output.tag) parseTagName(output.tag);
  if (output.kind === 'docker-archive') await refuseExisting(output.path, force, 'output file');
  if (output.kind === 'oci') await refuseExisting(output.dir, force, 'output directory');

  // The argument is resolved once: a file or layout on disk, or a reference checked before any engine call.
  const where = await locateImage(reference, options.source ?? 'auto');
  const mode: FlattenMode = options.mode ?? { kind: 'all' };
  const baseName = mode.kind === 'keep-base' ? mode.base : undefined;
  const baseWhere = baseName ? await locateImage(baseName) : undefined;
  progress(`reading ${reference}`);
  let engine: EngineClient | undefined;
  let targetTag = output.tag;
  // Every layer of a local overlay2 image into the engine: the upload starts now, while the layers are indexed.
  const fast = await fastPathInput(where, options, output);
  let early: EarlyImport | undefined;
  // Verification of what the early import sends waits for the comparison, known once the index is read.
  const comparer = deferred<(layer: LayerIndex) => void>();
  if (fast) {
    engine = fast.engine;
    targetTag ??= defaultTag({ repoTags: fast.overlay.repoTags, id: fast.overlay.id, source: { kind: 'overlay2', reference } }, reference);
    await refuseExistingTag(engine, targetTag, force);
    progress('importing the merged layer directories into the engine while the layers are indexed');
    early = startEarlyImport(engine, fast.overlay.dirs, fast.overlay.xattrs, {
      hash: verify ? 'crc32' : 'none',
      check: verify ? async (layer) => (await comparer.promise)(layer) : undefined,
      faults,
    });
  }
  try {
    const { image, note } = fast ? { image: (await indexOverlayImage(fast.overlay, progress, 'none'))!, note: undefined } : await openInput(where, options);
    const fromEngine = image.source.kind === 'overlay2' || image.source.kind === 'engine-export';
    const needEngine = fromEngine || output.kind === 'engine' || options.mode?.kind === 'keep-base';
    if (needEngine && !engine) {
      try {
        engine = await connectEngine(options.connect ?? {});
      } catch (err) {
        if (fromEngine || output.kind === 'engine' || (options.mode?.kind === 'keep-base' && !options.mode.base)) throw err;
      }
    }

    const checks: VerificationCheck[] = [];
    if (verify) checks.push(...await checkInput(image, fromEngine ? engine : undefined, progress));

    const plan = await planFlatten(image, options.mode ?? { kind: 'all' }, {
      baseByName: async (name) => baseByName(name, name === baseName && baseWhere ? baseWhere : await locateImage(name), engine, options),
      candidates: engine ? async () => engineCandidates(engine!, image) : undefined,
    });
    if (early && plan.keep !== 0) throw new Error('internal: the early import squashes every layer');
    if (!targetTag) {
      targetTag = defaultTag(image, reference);
      if (output.kind === 'engine') await refuseExistingTag(engine!, targetTag, force);
    }
    const tagName = targetTag;

    progress(`squashing layers ${plan.keep}..${image.layers.length - 1} of ${image.layers.length}`);
    const squash = squashImage(image, plan.keep);
    const entries = squash.layer.entries;
    const keep = plan.keep;
    // The engine already holds the kept layers of its own images: docker load finds them by chain ID.
    const omitKept = output.kind === 'engine' && fromEngine;
    const keptIndexes = omitKept ? [] : Array.from({ length: keep }, (_, i) => i);
    const content = await openImageContent(image, { files: [...squash.layer.sources.values()], layers: keptIndexes }, { engine, spoolDir: options.spoolDir, progress });
    // reading: the index, the plan, and (for streamed sources) the spool pass
    const t1 = now();
    const readMs = t1 - t0;
    try {
      let verifyMs = 0;
      let outIndex: ImageIndex | undefined;
      let expected: Map<string, string> | undefined;
      /** The digests of the files written (by path), from whichever stream wrote the squashed layer. */
      let written = early?.squashed.written ?? new Map<string, string>();
      // Into the engine, verification reads the very bytes sent (see compareSent) and compares every file's
      // crc32 with the one taken as it was written; a file output is read back and compared by sha256.
      const teed = verify && output.kind === 'engine';
      const kind: ContentHashKind = teed ? SENT_CONTENT_HASH : 'sha256';
      const expectedUnion = () => {
        const byInode = new Map<number, string>();
        for (const f of squash.full.files()) {
          const d = f.inode !== undefined ? written.get(f.path) : undefined;
          if (d) byInode.set(f.inode!, d);
        }
        const empty = emptyDigest(kind);
        return canonicalUnion(squash.full, (f) => {
          if (f.layer < keep) return '';
          if (f.size === 0) return empty;
          return (teed ? undefined : f.digest) ?? byInode.get(f.inode!) ?? 'not hashed';
        });
      };
      const withTopLayer = (layer: LayerIndex): ImageIndex => ({ ...image, layers: [...image.layers.slice(0, keep), { ...layer, index: keep, history: undefined, instruction: 'stowage flatten' }] });
      const compare = (out: ImageIndex) => {
        const diff = compareUnions(expected!, canonicalUnion(unionOfIndex(out), (f) => (f.layer < keep ? '' : f.digest ?? 'not hashed')));
        if (diff.count) {
          const d = diff.first[0]!;
          throw new VerificationError(`verification failed: ${diff.count} path(s) differ from the input's merged filesystem, first ${d.path} (expected ${d.expected ?? 'absent'}, got ${d.actual ?? 'absent'})`, diff.first);
        }
      };
      // Into the engine, verification reads the very bytes sent, as they go, and compares their merged
      // filesystem as soon as the last byte is out, while the engine still registers the layer (see checkSent).
      // The output's figures too are taken here, while the engine still registers the layer.
      let after: ImageFigures | undefined;
      const compareSent = (layer: LayerIndex) => {
        progress('verifying: comparing the merged filesystem of the layer as sent with the input\'s');
        expected = expectedUnion();
        outIndex = withTopLayer(layer);
        compare(outIndex);
        after = figures(outIndex);
      };
      comparer.resolve(compareSent);
      let sent = early?.squashed.sent;
      const openSquashed = () => {
        const s = squashedStream(entries, {
          source: (e) => squash.layer.sources.get(e) ?? e,
          read: (src) => content.file(src),
          hash: !verify ? 'none' : kind,
          check: teed ? compareSent : undefined,
          faults,
        });
        written = s.written;
        sent = s.sent;
        return s.stream;
      };
      const layers: OutputLayer[] = [];
      for (let i = 0; i < keep; i++) {
        const l = image.layers[i]!;
        if (omitKept) {
          layers.push({ diffId: l.diffId, size: l.storedBytes, compression: l.compression, open: () => { throw new Error('internal: a layer left out of the archive was read'); }, omit: true });
        } else {
          const blob = content.layerBlob(i);
          layers.push({ diffId: l.diffId, size: blob.size, compression: blob.compression, open: blob.open });
        }
      }
      const tarBytes = layerTarSize(entries);
      // Taken now: an early import is still uploading, and nobody waits for these.
      const before = figures(image);
      layers.push({ size: tarBytes, compression: 'none', open: openSquashed });
      const record = { keep, before: image.layers.length, mode: plan.modeText };
      const toWrite: ImageToWrite = {
        layers,
        config: (diffIds) => rewriteConfig(image.config, diffIds, record),
        repoTags: [],
      };
      const check = async (read: () => Promise<ImageIndex>) => {
        if (!verify) return;
        const tv = now();
        progress('verifying: reading the output back and comparing merged filesystems');
        expected = expectedUnion();
        outIndex = await read();
        for (let i = 0; i < keep; i++) {
          if (outIndex.layers[i]?.diffId !== image.layers[i]!.diffId) {
            throw new VerificationError(`verification failed: kept layer ${i} is ${outIndex.layers[i]?.diffId ?? 'missing'} in the output, ${image.layers[i]!.diffId} in the input`, []);
          }
        }
        await hashMissing(outIndex, keep);
        try {
          compare(outIndex);
        } finally {
          verifyMs += now() - tv;
        }
      };
      /**
       * The engine output: the squashed layer was read and hashed on its way to the engine (teeStream), and
       * its union compared with the input's, which proves the bytes sent; the engine's recorded diff IDs equal
       * to the sha256 of those bytes (and to the input's for kept layers) prove it holds exactly them, and the
       * image ID that the config it holds is ours. Nothing is read back.
       */
      const sentLayer = async (): Promise<LayerIndex> => {
        if (!sent) throw new VerificationError('verification failed: the squashed layer was never sent', []);
        try {
          return await sent;
        } catch (err) {
          if (err instanceof VerificationError) throw err;
          throw new VerificationError(`verification failed: the squashed layer as sent cannot be read: ${(err as Error).message}`, []);
        }
      };
      let result: WrittenImage;
      let target: string;
      progress(`writing ${keep} kept layer(s) and one squashed layer of ${squash.layer.files} files`);
      if (output.kind === 'docker-archive') {
        target = output.path;
        toWrite.repoTags = [tagName];
        result = await writeDockerArchive(output.path, toWrite, { force, check: (temp) => check(() => indexArchiveFile(temp)) });
      } else if (output.kind === 'oci') {
        target = output.dir;
        result = await writeOciLayout(output.dir, toWrite, splitTag(tagName).tag, { force, gzipLevel: options.gzipLevel, check: (temp) => check(() => indexOciLayout(temp)) });
      } else {
        target = tagName;
        const loaded = await writeIntoEngine({
          engine: engine!, tag: splitTag(tagName), image: toWrite, keptDiffIds: image.layers.slice(0, keep).map((l) => l.diffId),
          early, sent: teed ? sentLayer : undefined, expectedSize: teed ? engineSizeOf(entries) : undefined, progress, now,
        });
        result = loaded.written;
        verifyMs += loaded.verifyMs;
      }
      const t2 = now();
      after ??= figures(outIndex ?? syntheticOutput(image, keep, entries, tarBytes));
      return {
        input: { reference, source: image.source.kind, id: image.id, ...before, ...(note ? { note } : {}) },
        output: { kind: output.kind, target, id: result.id, ...after, ...(result.manifestDigest ? { manifestDigest: result.manifestDigest } : {}) },
        plan: { keep, squashed: image.layers.length - keep, base: plan.base, mode: plan.modeText },
        squashedLayer: {
          entries: entries.length, files: squash.layer.files, bytes: squash.layer.bytes, hardlinks: squash.layer.hardlinks,
          whiteouts: squash.layer.whiteouts, opaques: squash.layer.opaques, tarBytes,
        },
        wastedBytesRemoved: before.wastedBytes - after.wastedBytes,
        contentVia: content.via,
        verification: verify ? passed(expected?.size ?? 0, [
          ...checks,
          CHECKS.outputUnion(expected?.size ?? 0, teed ? 'crc32-sent' : 'sha256-read-back'),
          ...(output.kind === 'engine' ? [CHECKS.engineRecord(), CHECKS.engineOutputSize()] : keep > 0 ? [CHECKS.keptLayers(keep)] : []),
        ]) : skipped(),
        timings: { readMs, writeMs: t2 - t1 - verifyMs, verifyMs, totalMs: t2 - t0 },
      };
    } finally {
      await content.close();
    }
  } catch (err) {
    comparer.reject(err);
    if (early) {
      // The flatten failed while the early import may still run: stop it, and drop its image if it got one.
      early.cancel();
      const id = await early.imported.catch(() => undefined);
      if (id) await engine!.removeImage(id).catch(() => {});
    }
    throw err;
  }
}

/**
 * The checks of the input that do not rest on stowage's reading of it alone: layer bytes against the config's
 * diff IDs (made while a tar source is read), and for an engine image each layer's size as read against the
 * size the engine recorded when it unpacked that layer.
 */
async function checkInput(image: ImageIndex, engine: EngineClient | undefined, progress: (text: string) => void): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  // a tar source is hashed as it is read, and a layer whose sha256 is not its diff ID is refused (exit 4)
  if (image.source.kind !== 'overlay2') checks.push(CHECKS.inputLayerDigests());
  if (!engine || !image.id) return checks;
  progress('verifying: each layer\'s size as read against the engine\'s record of it (docker history)');
  const recorded = await recordedLayerSizes(engine, image.id, image.history, image.layers.length);
  if (!recorded) return checks;
  image.layers.forEach((l, i) => {
    const read = engineSizeOf(l.entries);
    if (read !== recorded[i]) {
      throw new VerificationError(`verification failed: layer ${i} of ${image.source.reference} holds ${read} bytes as stowage read it, the engine recorded ${recorded[i]} (docker history): the input was misread, nothing was written`, []);
    }
  });
  checks.push(CHECKS.inputLayerSizes(image.layers.length));
  return checks;
}

/** A promise and its settling functions, for what a later step of the flatten supplies. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined); // a flatten that fails before anyone waits must not leave it unhandled
  return { promise, resolve, reject };
}

/** Refuses an engine output whose tag exists, unless `force`. */
async function refuseExistingTag(engine: EngineClient, tag: string, force: boolean): Promise<void> {
  const exists = await engine.inspectImage(tag).then(() => true, (err) => {
    if (err instanceof EngineRequestError && err.statusCode === 404) return false;
    throw err;
  });
  if (exists && !force) throw new RefusedError(`the engine already has an image tagged ${tag}`, 'Pass --force to move the tag, or choose another with --tag.');
}

/**
 * The input of the fast path, when it applies: every layer into one, into the engine, from an engine image
 * whose overlay2 directories (and their xattrs) can be read here.
 */
async function fastPathInput(where: ImageLocation, options: FlattenOptions, output: FlattenOutput): Promise<{ engine: EngineClient; overlay: OverlayImage } | undefined> {
  const mode = options.mode ?? { kind: 'all' };
  const whole = mode.kind === 'all' || (mode.kind === 'from-layer' && mode.layer === 0);
  const choice = options.source ?? 'auto';
  if (where.kind !== 'engine' || output.kind !== 'engine' || !whole || !(choice === 'auto' || choice === 'engine' || choice === 'overlay2') || !hasGetfattr()) return undefined;
  const engine = await connectEngine(options.connect ?? {});
  // Anything unusual (no such image, another driver, a remote engine) is left to the general path to report.
  const overlay = await overlayImage(engine, where.reference.text).catch(() => undefined);
  if (!overlay || 'reason' in overlay) return undefined;
  return { engine, overlay };
}

/** openImage, except that an engine image read from overlay2 gets no digests: flatten needs none to plan. */
function openInput(where: ImageLocation, options: FlattenOptions): Promise<OpenedImage> {
  return openLocated(where, options, 'none');
}

/** Hashes the files of layers `from` and up that were read without a digest (overlay2 reads hash only some). */
async function hashMissing(image: ImageIndex, from: number): Promise<void> {
  const todo = image.layers.slice(from).flatMap((l) => l.entries.filter((e) => e.type === 'file' && !e.digest));
  // a few files at a time: the thread pool reads while the main thread hashes
  await mapLimit(todo, 4, async (e) => {
    const digest = await contentDigest(e);
    if (digest) e.digest = digest;
  });
}

/** The output as an index built from the plan, for figures when it was not read back. */
function syntheticOutput(image: ImageIndex, keep: number, entries: ImageIndex['layers'][number]['entries'], tarBytes: number): ImageIndex {
  const top = { ...image.layers[image.layers.length - 1]!, index: keep, entries, tarBytes, diffId: '', instruction: 'stowage flatten' };
  return { ...image, layers: [...image.layers.slice(0, keep), top] };
}

async function baseByName(name: string, where: ImageLocation, engine: EngineClient | undefined, options: FlattenOptions): Promise<BaseCandidate> {
  if (engine && where.kind === 'engine') {
    const detail = await engine.inspectImage(name).catch((err) => {
      if (err instanceof EngineRequestError && err.statusCode === 404) return undefined;
      throw err;
    });
    if (detail) return { name, diffIds: detail.layers };
  }
  const { image } = await openLocated(where, { ...options, progress: undefined });
  return { name, diffIds: image.layers.map((l) => l.diffId), createdBy: historyOf(image.config).map((h) => h.createdBy) };
}

/** Every tagged image in the engine with fewer layers than `image`, as a base candidate. */
async function engineCandidates(engine: EngineClient, image: ImageIndex): Promise<BaseCandidate[]> {
  const diffIds = image.layers.map((l) => l.diffId);
  const out: BaseCandidate[] = [];
  for (const entry of await engine.listImages()) {
    if (!entry.repoTags.length || entry.id === image.id) continue;
    const detail = await engine.inspectImage(entry.id).catch(() => undefined);
    if (!detail || detail.layers.length >= diffIds.length || !detail.layers.every((d, i) => diffIds[i] === d)) continue;
    const history = await engine.imageHistory(entry.id).catch(() => []);
    out.push({ name: entry.repoTags[0]!, diffIds: detail.layers, createdBy: history.length ? history.map((h) => h.createdBy).reverse() : undefined });
  }
  return out;
}
