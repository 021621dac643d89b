/** Layer blobs come uncompressed, gzip or zstd; the format is sniffed from the magic bytes, not the media type. */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import { BadInputError, StowageError } from '../errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

export interface Decompressed {
  compression: Compression;
  /** Uncompressed bytes. */
  stream: AsyncIterable<Buffer>;
}

/** Returns the first non-empty chunk and an iterable of the rest, so the format can be sniffed without copying. */
export async function peek(source: AsyncIterable<Buffer>): Promise<{ first: Buffer | undefined; all: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  let first: Buffer | undefined;
  for (;;) {
    const n = await it.next();
    if (n.done) break;
    if (n.value.length) {
      first = n.value;
      break;
    }
  }
  const all = {
    async *[Symbol.asyncIterator]() {
      if (first) yield first;
      else return;
      for (;;) {
        const n = await it.next();
        if (n.done) return;
        yield n.value;
      }
    },
  };
  return { first, all };
}

export function compressionOf(first: Buffer | undefined): Compression {
  if (first && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) return 'gzip';
  if (first && first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export async function decompress(source: AsyncIterable<Buffer>, where: string): Promise<Decompressed> {
  const { first, all } = await peek(source);
  const compression = compressionOf(first);
  switch (compression) {
    case 'none':
      return { compression, stream: all };
    case 'gzip':
      return { compression, stream: gunzip(all, where) };
    case 'zstd':
      return { compression, stream: unzstd(all, where) };
  }
}

async function* gunzip(source: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  let fed = 0;
  const counted = (async function* () {
    for await (const c of source) {
      fed += c.length;
      yield c;
    }
  })();
  const input = Readable.from(counted, { objectMode: false });
  const z = createGunzip({ chunkSize: 256 * 1024 });
  input.on('error', (err) => z.destroy(err));
  input.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof StowageError) throw err;
    const e = err as { code?: string; message?: string };
    throw new BadInputError(`${where}: corrupt gzip data near compressed byte ${fed} (${e.code ?? e.message ?? 'error'})`, undefined, { cause: err });
  } finally {
    input.destroy();
    z.destroy();
  }
}

async function* unzstd(source: AsyncIterable<Buffer>, where: string): AsyncGenerator<Buffer> {
  let fed = 0;
  let out: Buffer[] = [];
  const d = new ZstdDecompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      d.push(chunk, final);
    } catch (err) {
      throw new BadInputError(`${where}: corrupt zstd data near compressed byte ${fed} (${(err as Error).message})`, undefined, { cause: err });
    }
  };
  for await (const c of source) {
    fed += c.length;
    push(c, false);
    if (out.length) {
      const ready = out;
      out = [];
      yield* ready;
    }
  }
  push(new Uint8Array(0), true);
  yield* out;
}
