/**
 * A layer read once into memory as metadata only: its entries (with content digests), its diff ID and sizes.
 * Memory grows with the number of entries, never with bytes.
 */
import { createHash } from 'node:crypto';
import { decompress, type Compression } from './decompress.js';
import type { ContentHashKind } from './content-hash.js';
import { entriesFromTar, type EntryStreamOptions, type LayerEntry, type StreamedEntry } from './layer-entry.js';
import { readTar } from './tar-reader.js';
import { setContentRef } from './content-ref.js';

export interface LayerIndex {
  /** `sha256:` of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarBytes: number;
  compression: Compression;
  /** Bytes and digest of the blob as stored (equal to the tar's when uncompressed). */
  storedBytes: number;
  storedDigest: string;
  entries: LayerEntry[];
}

/** Counts and hashes what flows through, without copying. */
export function measured(source: AsyncIterable<Buffer>, onDone: (bytes: number, digest: string) => void): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const c of source) {
        hash.update(c);
        bytes += c.length;
        yield c;
      }
      onDone(bytes, `sha256:${hash.digest('hex')}`);
    },
  };
}

export interface IndexLayerOptions {
  /** Where the blob's first byte is in a file, so that files of an uncompressed blob get a ContentRef. */
  onDisk?: { file: string; offset: number } | undefined;
  /** The files' content digest (default sha256, the images' own). */
  contentHash?: ContentHashKind;
}

/** Reads a layer blob (tar, tar+gzip or tar+zstd) into a LayerIndex; `where` names it in errors. */
export async function indexLayer(blob: AsyncIterable<Buffer>, where: string, options: IndexLayerOptions = {}): Promise<LayerIndex> {
  const onDisk = options.onDisk;
  let storedBytes = 0;
  let storedDigest = '';
  let tarBytes = 0;
  let diffId = '';
  const stored = measured(blob, (b, d) => {
    storedBytes = b;
    storedDigest = d;
  });
  const { compression, stream } = await decompress(stored, where);
  const tar = compression === 'none' ? stream : measured(stream, (b, d) => {
    tarBytes = b;
    diffId = d;
  });
  const entries: LayerEntry[] = [];
  for await (const e of entriesFromTar(readTar(tar, where), where, { hashContent: options.contentHash ?? 'sha256' })) {
    if (onDisk && compression === 'none' && e.type === 'file' && e.offset !== undefined) {
      setContentRef(e, { file: onDisk.file, start: onDisk.offset + e.offset + 512, length: e.size });
    }
    delete e.offset;
    entries.push(e);
  }
  if (compression === 'none') {
    tarBytes = storedBytes;
    diffId = storedDigest;
  }
  return { diffId, tarBytes, compression, storedBytes, storedDigest, entries };
}

/**
 * A layer blob as a stream of entries for writers: decompressed, whiteouts mapped, each file's `body` valid
 * until the next entry is requested. With `hashContent` the bodies are consumed and `digest` set instead.
 */
export async function* readLayerEntries(blob: AsyncIterable<Buffer>, where: string, options: EntryStreamOptions = {}): AsyncGenerator<StreamedEntry> {
  const { stream } = await decompress(blob, where);
  yield* entriesFromTar(readTar(stream, where), where, options);
}
