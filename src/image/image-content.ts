/**
 * The bytes behind an ImageIndex (which holds metadata only), for writers: file content and layer blobs as
 * stored. Files with a content ref (overlay2 diff files, members of an uncompressed archive on disk) are read
 * in place. Every other source is a stream (an archive, the engine's `/images/{name}/get`, compressed OCI blobs), so it is read
 * once and the few pieces the writer asks for are copied into one unlinked spool file, to be read back in
 * the writer's order: no extraction, no directory tree, and nothing left behind if the process dies.
 */
import type { StepProgress } from '../progress.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, HostError, StowageError } from '../errors.js';
import type { EngineClient } from '../engine/engine-client.js';
import { decompress, type Compression } from './decompress.js';
import type { ImageIndex } from './image-index.js';
import { displayPath, entriesFromTar, type LayerEntry } from './layer-entry.js';
import { contentRef, openContent } from './content-ref.js';
import { readTar } from './tar-reader.js';

export interface ContentRequest {
  /** Regular-file entries of the image (as indexed) whose content the writer needs. */
  files: LayerEntry[];
  /** Layers whose blob (as stored) the writer needs. */
  layers: number[];
}

export interface LayerBlob {
  size: number;
  digest: string;
  compression: Compression;
  open(): AsyncIterable<Buffer>;
}

export interface ImageContent {
  /** How file content is read: `in-place` (overlay2 files, uncompressed archives on disk) or `spool`. */
  readonly via: 'in-place' | 'spool';
  /** The content of `entry`, one of the requested files. */
  file(entry: LayerEntry): AsyncIterable<Buffer>;
  layerBlob(index: number): LayerBlob;
  close(): Promise<void>;
}

export interface ImageContentOptions {
  /** Needed for engine images read as a stream. */
  engine?: EngineClient | undefined;
  /** Directory for the spool file (default: the OS temp directory). */
  spoolDir?: string | undefined;
  progress?: StepProgress | undefined;
}

interface Piece {
  spool: Spool;
  offset: number;
  size: number;
}

/** An append-only scratch file, unlinked as soon as it is open. */
class Spool {
  private constructor(private readonly handle: FileHandle) {}
  position = 0;

  static async create(dir: string): Promise<Spool> {
    const tmp = await mkdtemp(join(dir, 'stowage-spool-'));
    try {
      return new Spool(await open(join(tmp, 'spool'), 'w+', 0o600));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async append(chunk: Buffer): Promise<void> {
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += chunk.length;
  }

  read(piece: { offset: number; size: number }): AsyncIterable<Buffer> {
    if (piece.size === 0) return empty();
    return this.handle.createReadStream({ start: piece.offset, end: piece.offset + piece.size - 1, autoClose: false, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The main spool, and a side one for files found inside a layer whose raw bytes are being copied into the
 * main spool at the same time (the two writes would interleave): both on disk, so memory does not grow with
 * the bytes of the files copied. Each is created on first use.
 */
class Spools {
  private readonly made: Spool[] = [];
  private mainSpool: Promise<Spool> | undefined;
  private sideSpool: Promise<Spool> | undefined;

  constructor(private readonly dir: string) {}

  main(): Promise<Spool> {
    return (this.mainSpool ??= this.create());
  }

  side(): Promise<Spool> {
    return (this.sideSpool ??= this.create());
  }

  private async create(): Promise<Spool> {
    try {
      const spool = await Spool.create(this.dir);
      this.made.push(spool);
      return spool;
    } catch (err) {
      throw new HostError(`cannot create a spool file in ${this.dir}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.made.map((s) => s.close()));
  }
}

async function* empty(): AsyncGenerator<Buffer> { /* nothing */ }

/** Opens the content of `image` for `request`, reading a streamed source at most once more. */
export async function openImageContent(image: ImageIndex, request: ContentRequest, options: ImageContentOptions = {}): Promise<ImageContent> {
  const where = `${image.source.kind} ${image.source.reference}`;
  const wantDigests = new Map<string, number>();
  for (const e of request.files) {
    if (e.size === 0 || contentRef(e)) continue;
    if (!e.digest) throw new BadInputError(`${where}: ${displayPath(e.path)} has neither a way back to its content nor a digest`);
    wantDigests.set(e.digest, e.size);
  }
  const wantLayers = [...new Set(request.layers)];
  const files = new Map<string, Piece>();
  const layers = new Map<number, Piece>();
  const spools = new Spools(options.spoolDir ?? tmpdir());
  if (wantDigests.size || wantLayers.length) {
    try {
      await spoolPass(image, wantDigests, wantLayers, spools, files, layers, options);
      const lost = [...wantDigests.keys()].filter((d) => !files.has(d));
      const lostLayers = wantLayers.filter((i) => !layers.has(i));
      if (lost.length || lostLayers.length) {
        throw new BadInputError(`${where}: the source no longer holds ${lost.length ? `the content ${lost[0]}` : `layer ${lostLayers[0]}`} it was indexed with`);
      }
    } catch (err) {
      await spools.close();
      throw err;
    }
  }
  return {
    via: wantDigests.size ? 'spool' : 'in-place',
    file(entry: LayerEntry) {
      if (entry.size === 0) return empty();
      const direct = openContent(entry);
      if (direct) return direct;
      const piece = entry.digest ? files.get(entry.digest) : undefined;
      if (!piece) throw new BadInputError(`${where}: no content for ${displayPath(entry.path)}`);
      return piece.spool.read(piece);
    },
    layerBlob(index: number): LayerBlob {
      const piece = layers.get(index);
      const l = image.layers[index]!;
      if (!piece) throw new BadInputError(`${where}: layer ${index} was not read`);
      const raw = image.source.kind === 'overlay2' || l.compression === 'none';
      return { size: piece.size, digest: raw ? l.diffId : l.storedDigest, compression: raw ? 'none' : l.compression, open: () => piece.spool.read(piece) };
    },
    async close() {
      await spools.close();
    },
  };
}

interface Blob {
  name: string;
  size: number;
  body: AsyncIterable<Buffer>;
}

/** The blobs of the image's source, in the order the source stores them. */
async function* sourceBlobs(image: ImageIndex, options: ImageContentOptions): AsyncGenerator<Blob> {
  const { kind, reference } = image.source;
  if (kind === 'oci-layout') {
    for (const l of image.layers) {
      const [alg, hex] = l.storedDigest.split(':');
      const path = join(reference, 'blobs', alg!, hex!);
      const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
      try {
        yield { name: path, size: l.storedBytes, body: stream as AsyncIterable<Buffer> };
      } finally {
        stream.destroy();
      }
    }
    return;
  }
  let outer: AsyncIterable<Buffer>;
  let close = () => {};
  if (kind === 'docker-archive' || kind === 'oci-archive') {
    const stream = createReadStream(reference, { highWaterMark: 1024 * 1024 });
    outer = stream as AsyncIterable<Buffer>;
    close = () => stream.destroy();
  } else {
    if (!options.engine) throw new BadInputError(`${reference}: an engine image needs an engine connection to be read`);
    options.progress?.(`streaming ${reference} from the engine (/images/{name}/get)`);
    const stream = await options.engine.saveImage(image.id ?? reference);
    outer = stream;
    close = () => (stream as { destroy?: () => void }).destroy?.();
  }
  const where = `${kind} ${reference}`;
  try {
    const { stream } = await decompress(outer, where);
    for await (const { header, body } of readTar(stream, where)) {
      if (header.typeflag !== '0' && header.typeflag !== '7') continue;
      yield { name: header.name, size: header.size, body };
    }
  } finally {
    close();
  }
}

async function spoolPass(image: ImageIndex, digests: Map<string, number>, wantLayers: number[], spools: Spools,
  files: Map<string, Piece>, layers: Map<number, Piece>, options: ImageContentOptions): Promise<void> {
  const spool = await spools.main();
  // Candidates are found by path and size before anything is hashed, so unrelated files are never copied.
  const candidates = new Set<string>();
  for (const l of image.layers) {
    for (const e of l.entries) if (e.type === 'file' && e.digest && digests.has(e.digest)) candidates.add(`${e.path}\0${e.size}`);
  }
  const layerBySize = new Map<number, number[]>();
  for (const i of wantLayers) {
    const size = image.layers[i]!.storedBytes;
    layerBySize.set(size, [...(layerBySize.get(size) ?? []), i]);
  }
  const needLayerContent = digests.size > 0;
  for await (const blob of sourceBlobs(image, options)) {
    if (files.size === digests.size && layers.size === wantLayers.length) break;
    // overlay2 indexes know no blob sizes (they were never tars): then any member may be a kept layer.
    const sizeUnknown = image.source.kind === 'overlay2';
    const layerCandidates = (sizeUnknown ? (blob.size > 1024 ? wantLayers : []) : (layerBySize.get(blob.size) ?? [])).filter((i) => !layers.has(i));
    let body = blob.body;
    const layerStart = spool.position;
    const layerHash = createHash('sha256');
    if (layerCandidates.length) {
      const raw = blob.body;
      body = (async function* () {
        for await (const c of raw) {
          layerHash.update(c);
          await spool.append(c);
          yield c;
        }
      })();
    }
    const consumer = body[Symbol.asyncIterator]();
    const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => consumer };
    if (needLayerContent) {
      try {
        const { stream } = await decompress(rest, `blob ${blob.name}`);
        for await (const e of entriesFromTar(readTar(stream, `blob ${blob.name}`), `blob ${blob.name}`)) {
          if (e.type !== 'file' || !e.body || !candidates.has(`${e.path}\0${e.size}`)) continue;
          // While the raw layer goes into the main spool, a file inside it goes into the side one.
          const into = layerCandidates.length ? await spools.side() : spool;
          const start = into.position;
          const hash = createHash('sha256');
          for await (const c of e.body) {
            hash.update(c);
            await into.append(c);
          }
          const digest = `sha256:${hash.digest('hex')}`;
          if (digests.has(digest) && !files.has(digest)) files.set(digest, { spool: into, offset: start, size: into.position - start });
          else into.position = start;
        }
      } catch (err) {
        if (!(err instanceof StowageError)) throw err;
        // not a layer (a config or manifest member): its bytes are drained below
      }
    }
    for (;;) {
      const n = await consumer.next();
      if (n.done) break;
    }
    if (layerCandidates.length) {
      const digest = `sha256:${layerHash.digest('hex')}`;
      const match = layerCandidates.find((i) => image.layers[i]!.storedDigest === digest || image.layers[i]!.diffId === digest);
      if (match !== undefined) layers.set(match, { spool, offset: layerStart, size: blob.size });
      else spool.position = layerStart;
    }
  }
}
