/**
 * Verification of one flatten, in one place: it owns the expected union (the input's merged filesystem as
 * read, with the content checksums the output must show), the checksums taken as the squashed layer was
 * written, the layer as sent to the engine, and the checks that passed. Into the engine the bytes sent are
 * compared as they go (checkSent, which waits until the plan has given the expected union: the fast path
 * starts sending before that); a file output is read back (checkReadBack).
 */
import { analyzeLayers, type LayerAnalysis } from '../analyze/layer-analysis.js';
import type { EngineClient } from '../engine/engine-client.js';
import { emptyDigest, type ContentHashKind } from '../image/content-hash.js';
import { contentDigest } from '../image/content-ref.js';
import type { ImageIndex } from '../image/image-index.js';
import type { LayerIndex } from '../image/layer-index.js';
import { deferred } from '../deferred.js';
import { mapLimit } from '../map-limit.js';
import { engineSizesOf, recordedLayerSizes } from './layer-sizes.js';
import type { Squash } from './squash.js';
import { SENT_CONTENT_HASH } from './squashed-stream.js';
import { canonicalUnion, compareUnions, prepareUnion } from './union-compare.js';
import { VerificationError } from './verification-error.js';
import { CHECKS, passed, skipped, type VerificationCheck, type VerificationReport } from './verification-report.js';
import { count } from '../units.js';

export interface ImageFigures {
  layers: number;
  /** Uncompressed layer tar bytes. */
  tarBytes: number;
  /** Content bytes summed over every layer. */
  bytes: number;
  /** Earlier copies overwritten or deleted by later layers (analyze's figure). */
  wastedBytes: number;
}

/** The figures of `image`, from its analysis (made here unless given: flatten also uses the analysis's union). */
export function figures(image: ImageIndex, a: LayerAnalysis = analyzeLayers(image)): ImageFigures {
  return { layers: image.layers.length, tarBytes: image.layers.reduce((s, l) => s + l.tarBytes, 0), bytes: a.totalBytes, wastedBytes: a.wastedBytes };
}

interface Planned {
  image: ImageIndex;
  squash: Squash;
}

export class FlattenVerifier {
  /** The checksums of the files written (by path), from whichever stream wrote the squashed layer. */
  written = new Map<string, string>();
  /** The squashed layer as the side reader indexed and compared it, once the last byte has gone (engine output). */
  sent: Promise<LayerIndex> | undefined;
  /** The output as compared, and its figures (taken while the engine still registers the layer). */
  outIndex: ImageIndex | undefined;
  after: ImageFigures | undefined;
  /** Time verification added once the output was written. */
  verifyMs = 0;
  private expected: Map<string, string> | undefined;
  /** Into the engine: the input's union described but for the checksums, while the upload runs (see setPlan). */
  private prepared: ReturnType<typeof prepareUnion> | undefined;
  private readonly checks: VerificationCheck[] = [];
  private readonly planned = deferred<Planned>();

  /**
   * `enabled`: verify at all; `teed`: the output goes into the engine, where the bytes sent are read as they go
   * and every file's crc32 compared (both readings are stowage's own bytes in memory); otherwise the output is
   * read back and its files compared by sha256.
   */
  constructor(readonly enabled: boolean, readonly teed: boolean, private readonly progress: (text: string) => void, private readonly now: () => number) {}

  /** The checksum the stream that writes the squashed layer must take of each file. */
  get writtenHash(): 'none' | 'sha256' | 'crc32' {
    return !this.enabled ? 'none' : this.teed ? SENT_CONTENT_HASH : 'sha256';
  }

  private get kind(): ContentHashKind {
    return this.teed ? SENT_CONTENT_HASH : 'sha256';
  }

  /** The input's checks that rest on more than stowage's reading of it (see checkInput). */
  async checkInput(image: ImageIndex, engine: EngineClient | undefined): Promise<void> {
    if (this.enabled) this.checks.push(...await checkInput(image, engine, this.progress));
  }

  /** The plan is made: the expected union can be computed, and a comparison waiting for it can run. */
  setPlan(image: ImageIndex, squash: Squash): void {
    // Into the engine the comparison runs after the upload's end, while the engine finishes the layer, and on a
    // busy host took longer than that: what it can know of the input before the checksums is described now.
    if (this.enabled && this.teed) this.prepared = prepareUnion(squash.full);
    this.planned.resolve({ image, squash });
  }

  /** The flatten failed before the plan: a comparison waiting for it fails too. */
  abandon(err: unknown): void {
    this.planned.reject(err);
  }

  /** Compares the squashed layer as sent (indexed by the side reader) with the input; for the engine output. */
  readonly checkSent = async (layer: LayerIndex): Promise<void> => {
    const { image, squash } = await this.planned.promise;
    this.progress('verifying: comparing the merged filesystem of the layer as sent with the input\'s');
    this.expected = this.expectedUnion(squash);
    const keep = squash.keep;
    this.outIndex = { ...image, layers: [...image.layers.slice(0, keep), { ...layer, index: keep, history: undefined, instruction: 'stowage flatten' }] };
    this.compare(this.outIndex, keep);
  };

  /** The layer as sent, once it is all sent and compared; a failure to read it is a verification failure. */
  async sentLayer(): Promise<LayerIndex> {
    if (!this.sent) throw new VerificationError('verification failed: the squashed layer was never sent', []);
    try {
      return await this.sent;
    } catch (err) {
      if (err instanceof VerificationError) throw err;
      throw new VerificationError(`verification failed: the squashed layer as sent cannot be read: ${(err as Error).message}`, []);
    }
  }

  /** Reads a written output back (`read`) and compares it with the input: kept diff IDs, then the union. */
  async checkReadBack(read: () => Promise<ImageIndex>): Promise<void> {
    if (!this.enabled) return;
    const { image, squash } = await this.planned.promise;
    const keep = squash.keep;
    const tv = this.now();
    try {
      this.progress('verifying: reading the output back and comparing merged filesystems');
      this.expected = this.expectedUnion(squash);
      const out = await read();
      this.outIndex = out;
      for (let i = 0; i < keep; i++) {
        if (out.layers[i]?.diffId !== image.layers[i]!.diffId) {
          throw new VerificationError(`verification failed: kept layer ${i} is ${out.layers[i]?.diffId ?? 'missing'} in the output, ${image.layers[i]!.diffId} in the input`, []);
        }
      }
      await hashMissing(out, keep);
      this.compare(out, keep);
    } finally {
      this.verifyMs += this.now() - tv;
    }
  }

  /** What was checked against what, once everything passed. */
  report(outputKind: 'engine' | 'docker-archive' | 'oci', keep: number): VerificationReport {
    if (!this.enabled) return skipped();
    const paths = this.expected?.size ?? 0;
    return passed(paths, [
      ...this.checks,
      CHECKS.outputUnion(paths, this.teed ? 'crc32-sent' : 'sha256-read-back'),
      ...(outputKind === 'engine' ? [CHECKS.engineRecord(), CHECKS.engineOutputSize()] : keep > 0 ? [CHECKS.keptLayers(keep)] : []),
    ]);
  }

  /** The input's union with the checksums the output must show: kept layers' files by their diff ID (''). */
  private expectedUnion(squash: Squash): Map<string, string> {
    const keep = squash.keep;
    const byInode = new Map<number, string>();
    for (const f of squash.full.files()) {
      const d = f.inode !== undefined ? this.written.get(f.path) : undefined;
      if (d) byInode.set(f.inode!, d);
    }
    const empty = emptyDigest(this.kind);
    return (this.prepared ?? prepareUnion(squash.full))((f) => {
      if (f.layer < keep) return '';
      if (f.size === 0) return empty;
      return (this.teed ? undefined : f.digest) ?? byInode.get(f.inode!) ?? 'not hashed';
    });
  }

  /** Compares the output's union with the expected one; the output's analysis builds that union and gives its figures. */
  private compare(out: ImageIndex, keep: number): void {
    const a = analyzeLayers(out);
    this.after = figures(out, a);
    const diff = compareUnions(this.expected!, canonicalUnion(a.tree, (f) => (f.layer < keep ? '' : f.digest ?? 'not hashed')));
    if (diff.count) {
      const d = diff.first[0]!;
      throw new VerificationError(`verification failed: ${count(diff.count, 'path')} ${diff.count === 1 ? 'differs' : 'differ'} from the input's merged filesystem, first ${d.path} (expected ${d.expected ?? 'absent'}, got ${d.actual ?? 'absent'})`, diff.first);
    }
  }
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
    const read = engineSizesOf(l.entries);
    if (!read.includes(recorded[i]!)) {
      throw new VerificationError(`verification failed: layer ${i} of ${image.source.reference} holds ${read.join(' (or without symlinks ')}${read.length > 1 ? ')' : ''} bytes as stowage read it, the engine recorded ${recorded[i]} (docker history): the input was misread, nothing was written`, []);
    }
  });
  checks.push(CHECKS.inputLayerSizes(image.layers.length));
  return checks;
}
