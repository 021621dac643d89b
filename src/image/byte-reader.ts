/**
 * Pull-style reading of exact byte counts from an async stream of chunks, tracking the offset so errors can
 * say where the input broke. The tar reader is built on it; nothing is buffered beyond one chunk.
 */
import { TruncatedInputError } from '../errors.js';

export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private chunk: Buffer = Buffer.alloc(0);
  private pos = 0;
  private done = false;
  /** Bytes handed out or skipped so far. */
  offset = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array>, private readonly where: string) {
    this.it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return false;
      const next = await this.it.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      const value = next.value as Buffer | Uint8Array;
      this.chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      this.pos = 0;
    }
    return true;
  }

  truncated(what: string): TruncatedInputError {
    return new TruncatedInputError(this.where, `${this.where}: truncated ${what} at byte ${this.offset}`);
  }

  /** Exactly `n` bytes; null when the stream ends before the first byte; throws when it ends in between. */
  async read(n: number, what: string): Promise<Buffer | null> {
    // fill() only when the chunk is used up: an await per header costs a tar of small files measurably
    if (this.pos >= this.chunk.length && !(await this.fill())) return null;
    if (this.chunk.length - this.pos >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let have = 0;
    while (have < n) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(n - have, this.chunk.length - this.pos);
      this.chunk.copy(out, have, this.pos, this.pos + take);
      this.pos += take;
      have += take;
      this.offset += take;
    }
    return out;
  }

  /** Yields exactly `n` bytes as slices of the source's chunks. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.pos >= this.chunk.length && !(await this.fill())) throw this.truncated(what);
      const take = Math.min(left, this.chunk.length - this.pos);
      const out = this.chunk.subarray(this.pos, this.pos + take);
      this.pos += take;
      this.offset += take;
      left -= take;
      yield out;
    }
  }

  async discard(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pos >= this.chunk.length && !(await this.fill())) throw this.truncated(what);
      const take = Math.min(left, this.chunk.length - this.pos);
      this.pos += take;
      this.offset += take;
      left -= take;
    }
  }

  /** Reads and discards everything left; returns the count. */
  async drain(): Promise<number> {
    let n = 0;
    while (await this.fill()) {
      n += this.chunk.length - this.pos;
      this.offset += this.chunk.length - this.pos;
      this.pos = this.chunk.length;
    }
    return n;
  }

  /** Stops the underlying source early (e.g. after end-of-archive on a stream we do not need to drain). */
  async close(): Promise<void> {
    this.done = true;
    await this.it.return?.();
  }
}
