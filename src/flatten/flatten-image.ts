/**
 * `stowage flatten`: rewrites an image into fewer layers and proves the result equal to the original, in
 * three steps: the input resolved once into its image, its engine and (for the fast path) an upload already
 * under way (flatten-input.ts); the plan and the squash; then one writer per output kind. A verifier
 * (flatten-verifier.ts) owns the expected union and the checksums: a file output is read back before it is
 * renamed into place; into the engine, the layer is verified from the very bytes sent (read as they go) and
 * the engine's recorded diff IDs must be their digests. A destination never holds a partial result: files
 * are renamed into place after verification, and an engine image is loaded under a temporary tag and
 * tagged only once it has been verified.
 */
import { analyzeLayers } from '../analyze/layer-analysis.js';
import type { StepProgress } from '../progress.js';
import { capabilityContext, type CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { EngineRequestError } from '../errors.js';
import { indexArchiveFile } from '../image/archive-source.js';
import { historyOf, type ImageIndex } from '../image/image-index.js';
import { openImageContent, type ImageContent } from '../image/image-content.js';
import { parseTagName, splitTag } from '../image/image-reference.js';
import { writeDockerArchive } from '../image/image-writer-docker-archive.js';
import { writeOciLayout } from '../image/image-writer-oci-layout.js';
import { refuseExisting, type ImageToWrite, type OutputLayer, type WrittenImage } from '../image/image-writer.js';
import { layerTarSize } from '../image/layer-tar-stream.js';
import { indexOciLayout } from '../image/oci-layout.js';
import { locateImage, openLocated, type ImageLocation, type OpenImageOptions } from '../image/open-image.js';
import { rewriteConfig } from './config-rewrite.js';
import { writeIntoEngine } from './engine-output.js';
import { defaultTag, openFlattenInput, refuseExistingTag, type FlattenInput } from './flatten-input.js';
import { planFlatten, type BaseCandidate, type FlattenMode, type FlattenPlan } from './flatten-plan.js';
import { FlattenVerifier, figures, type ImageFigures } from './flatten-verifier.js';
import { engineSizeOf } from './layer-sizes.js';
import { squashImage, type Squash } from './squash.js';
import { squashedStream } from './squashed-stream.js';
import type { VerificationReport } from './verification-report.js';
import { count } from '../units.js';
import { SCHEMA_VERSION } from '../version.js';

export { defaultTag } from './flatten-input.js';
export type { ImageFigures } from './flatten-verifier.js';

export type FlattenOutput =
  | { kind: 'engine'; tag?: string | undefined }
  | { kind: 'docker-archive'; path: string; tag?: string | undefined }
  | { kind: 'oci'; dir: string; tag?: string | undefined };

export interface FlattenOptions extends Pick<OpenImageOptions, 'source' | 'platform'> {
  /** The input: a name or ID in the engine, a docker-archive (.tar, .tar.gz), an OCI archive or layout directory. */
  reference: string;
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
  /**
   * Tests only: `written` alters the squashed layer's bytes before verification reads them (a writer bug),
   * `sent` after (bytes the engine gets but verification never saw).
   */
  faults?: { written?: (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer>; sent?: (layer: AsyncIterable<Buffer>) => AsyncIterable<Buffer> } | undefined;
}

/** flatten's result, which is also its `--json` document's `result` (schema/flatten.schema.json). */
export interface FlattenResult {
  schemaVersion: typeof SCHEMA_VERSION;
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

/**
 * Flattens `options.reference` as `options` say; returns what was written and measured. The engine, the
 * clock, progress (steps, and the bytes of the squashed layer as they go) and cancellation come from the
 * context (without one, it is made by the docker CLI's rules). Aborted, the flatten stops at its next step
 * or chunk of the squashed layer, removes what it started and rejects with the signal's reason.
 */
export async function flattenImage(options: FlattenOptions, context: CapabilityContext = capabilityContext()): Promise<FlattenResult> {
  const { reference } = options;
  const { signal } = context;
  const now = () => context.clock.monotonic();
  const progress: StepProgress = (step, amount) => context.progress.update({ step, ...amount });
  const progressBytes = (step: string, done: number, total?: number) => context.progress.update({ step, done, total, unit: 'bytes' });
  const t0 = now();
  signal.throwIfAborted();
  const output: FlattenOutput = options.output ?? { kind: 'engine' };
  const force = options.force ?? false;
  const verify = options.verify ?? true;
  if (output.tag) parseTagName(output.tag);
  if (output.kind === 'docker-archive') await refuseExisting(output.path, force, 'output file');
  if (output.kind === 'oci') await refuseExisting(output.dir, force, 'output directory');
  // Into the engine, verification reads the very bytes sent as they go; a file output is read back.
  const verifier = new FlattenVerifier(verify, verify && output.kind === 'engine', progress, now);

  // 1. the input: image, engine and (for the fast path) the upload already under way
  const mode: FlattenMode = options.mode ?? { kind: 'all' };
  let input: FlattenInput | undefined;
  try {
    input = await openFlattenInput(reference, {
      source: options.source, platform: options.platform, engine: context.engine,
      mode, output, force, faults: options.faults ?? {}, progressBytes, signal,
    }, verifier, progress);
    const { image, engine } = input;
    signal.throwIfAborted();
    await verifier.checkInput(image, input.fromEngine ? engine : undefined);
    signal.throwIfAborted();

    // 2. the plan and the squash
    const plan = await planFlatten(image, mode, {
      baseByName: async (name) => baseByName(name, input!.base && name === input!.base.text ? input!.base.where : await locateImage(name), engine,
        { source: options.source, platform: options.platform, engine: context.engine }),
      candidates: engine ? async () => engineCandidates(engine, image) : undefined,
    });
    if (input.early && plan.keep !== 0) throw new Error('internal: the early import squashes every layer');
    const tag = input.early?.tag ?? (await outputTag(image, reference, output, engine, force));
    progress(`squashing layers ${plan.keep}..${image.layers.length - 1} of ${image.layers.length}`);
    // the input's analysis gives its figures and the union of all its layers, which the squash starts from
    const analysis = analyzeLayers(image);
    const squash = squashImage(image, plan.keep, analysis.tree);
    verifier.setPlan(image, squash);
    // The engine already holds the kept layers of its own images: docker load finds them by chain ID.
    const omitKept = output.kind === 'engine' && input.fromEngine;
    const content = await openImageContent(image, {
      files: [...squash.layer.sources.values()],
      layers: omitKept ? [] : Array.from({ length: plan.keep }, (_, i) => i),
    }, { engine, spoolDir: options.spoolDir, progress });
    signal.throwIfAborted();
    // reading: the index, the plan, and (for streamed sources) the spool pass
    const t1 = now();
    try {
      // 3. the output, through the writer of its kind
      const toWrite = imageToWrite(image, plan, squash, content, omitKept, verifier, { faults: options.faults ?? {}, progressBytes, signal });
      const before = figures(image, analysis);
      progress(`writing ${count(plan.keep, 'kept layer')} and one squashed layer of ${count(squash.layer.files, 'file')}`);
      const written = await writeOutput(output, tag, toWrite, { input, squash, verifier, force, gzipLevel: options.gzipLevel, progress, now });
      const t2 = now();
      // the fast path sent the layer without computing its size first: it counted the bytes as they went
      const tarBytes = input.early ? input.early.import.bytes() : toWrite.layers[toWrite.layers.length - 1]!.size;
      const after = verifier.after ?? figures(verifier.outIndex ?? syntheticOutput(image, plan.keep, squash.layer.entries, tarBytes));
      const s = squash.layer;
      return {
        schemaVersion: SCHEMA_VERSION,
        input: { reference, source: image.source.kind, id: image.id, ...before, ...(input.note ? { note: input.note } : {}) },
        output: { kind: output.kind, target: written.target, id: written.result.id, ...after, ...(written.result.manifestDigest ? { manifestDigest: written.result.manifestDigest } : {}) },
        plan: { keep: plan.keep, squashed: image.layers.length - plan.keep, base: plan.base, mode: plan.modeText },
        squashedLayer: { entries: s.entries.length, files: s.files, bytes: s.bytes, hardlinks: s.hardlinks, whiteouts: s.whiteouts, opaques: s.opaques, tarBytes },
        wastedBytesRemoved: before.wastedBytes - after.wastedBytes,
        contentVia: content.via,
        verification: verifier.report(output.kind, plan.keep),
        timings: { readMs: t1 - t0, writeMs: t2 - t1 - verifier.verifyMs, verifyMs: verifier.verifyMs, totalMs: t2 - t0 },
      };
    } finally {
      await content.close();
    }
  } catch (err) {
    verifier.abandon(err);
    await input?.abandon();
    throw err;
  }
}

/** The output's tag (the fast path chose and checked its own): into the engine, refused if it exists. */
async function outputTag(image: ImageIndex, reference: string, output: FlattenOutput, engine: EngineClient | undefined, force: boolean): Promise<string> {
  const tag = output.tag ?? defaultTag(image, reference);
  if (output.kind === 'engine') await refuseExistingTag(engine!, tag, force);
  return tag;
}

/** The image to write: the kept layers (as stored, or left out where the engine has them) and the squashed one. */
function imageToWrite(image: ImageIndex, plan: FlattenPlan, squash: Squash, content: ImageContent, omitKept: boolean, verifier: FlattenVerifier,
  stream: { faults: NonNullable<FlattenOptions['faults']>; progressBytes: (step: string, done: number, total?: number) => void; signal: AbortSignal }): ImageToWrite {
  const keep = plan.keep;
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
  // Built from every entry's header: only when a writer asks (the fast path's upload never does).
  let size: number | undefined;
  const tarSize = () => (size ??= layerTarSize(squash.layer.entries));
  const openSquashed = () => {
    const s = squashedStream(squash.layer.entries, {
      source: (e) => squash.layer.sources.get(e) ?? e,
      read: (src) => content.file(src),
      hash: verifier.writtenHash,
      check: verifier.teed ? verifier.checkSent : undefined,
      onBytes: (sent) => stream.progressBytes('writing the squashed layer', sent, tarSize()),
      faults: stream.faults,
      signal: stream.signal,
    });
    verifier.written = s.written;
    verifier.sent = s.sent;
    return s.stream;
  };
  layers.push({ get size() { return tarSize(); }, compression: 'none', open: openSquashed });
  const record = { keep, before: image.layers.length, mode: plan.modeText };
  return { layers, config: (diffIds) => rewriteConfig(image.config, diffIds, record), repoTags: [] };
}

interface WriteContext {
  input: FlattenInput;
  squash: Squash;
  verifier: FlattenVerifier;
  force: boolean;
  gzipLevel: number | undefined;
  progress: (text: string) => void;
  now: () => number;
}

/** Writes `toWrite` where `output` says, verified by the verifier before it is in place. */
async function writeOutput(output: FlattenOutput, tag: string, toWrite: ImageToWrite, ctx: WriteContext): Promise<{ result: WrittenImage; target: string }> {
  const { verifier, force } = ctx;
  switch (output.kind) {
    case 'docker-archive':
      return {
        target: output.path,
        result: await writeDockerArchive(output.path, { ...toWrite, repoTags: [tag] }, { force, check: (temp) => verifier.checkReadBack(() => indexArchiveFile(temp)) }),
      };
    case 'oci':
      return {
        target: output.dir,
        result: await writeOciLayout(output.dir, toWrite, splitTag(tag).tag, { force, gzipLevel: ctx.gzipLevel, check: (temp) => verifier.checkReadBack(() => indexOciLayout(temp)) }),
      };
    case 'engine': {
      /*
       * The squashed layer is read and checksummed on its way to the engine (teeStream) and its union compared
       * with the input's, which proves the bytes sent; the engine's recorded diff IDs equal to the sha256 of
       * those bytes (and to the input's for kept layers) prove it holds exactly them, the image ID that the
       * config it holds is ours, and its size for the new layer that it unpacked what was written. Nothing is
       * read back.
       */
      const loaded = await writeIntoEngine({
        engine: ctx.input.engine!, tag: splitTag(tag), image: toWrite, keptDiffIds: ctx.input.image.layers.slice(0, ctx.squash.keep).map((l) => l.diffId),
        early: ctx.input.early?.import, sent: verifier.teed ? () => verifier.sentLayer() : undefined,
        expectedSize: verifier.teed ? engineSizeOf(ctx.squash.layer.entries) : undefined, progress: ctx.progress, now: ctx.now,
      });
      verifier.verifyMs += loaded.verifyMs;
      return { target: tag, result: loaded.written };
    }
  }
}

/** The output as an index built from the plan, for figures when it was not read back. */
function syntheticOutput(image: ImageIndex, keep: number, entries: ImageIndex['layers'][number]['entries'], tarBytes: number): ImageIndex {
  const top = { ...image.layers[image.layers.length - 1]!, index: keep, entries, tarBytes, diffId: '', instruction: 'stowage flatten' };
  return { ...image, layers: [...image.layers.slice(0, keep), top] };
}

async function baseByName(name: string, where: ImageLocation, engine: EngineClient | undefined, options: OpenImageOptions): Promise<BaseCandidate> {
  if (engine && where.kind === 'engine') {
    const detail = await engine.inspectImage(name).catch((err) => {
      if (err instanceof EngineRequestError && err.statusCode === 404) return undefined;
      throw err;
    });
    if (detail) return { name, diffIds: detail.layers };
  }
  const { image } = await openLocated(where, options);
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
