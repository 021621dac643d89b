/**
 * A streaming tar reader that reads what Go's archive/tar (and so Docker) reads: ustar, PAX (per-entry;
 * binary values kept byte-exact, e.g. `SCHILY.xattr.security.capability`), GNU long names/links, GNU and
 * PAX sparse files (0.0, 0.1, 1.0; holes read as zeros), negative and sub-second times. Global PAX headers
 * are skipped, as Docker does. Names are byte strings (each char is one byte, latin1), so non-UTF-8 names
 * survive round trips; see `displayPath` in layer-entry.ts.
 */
import { BadInputError } from '../errors.js';
import { ByteReader } from './byte-reader.js';

const BLOCK = 512;

export interface TarHeader {
  /** Byte string (latin1), after PAX / GNU long-name / GNU sparse-name overrides. */
  name: string;
  /** The typeflag character ('0', '5', '2', '1', ...); '\0' is '0', or '5' for a name ending in '/' (V7). */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes; for a sparse file its full (expanded) size. */
  size: number;
  /** Seconds since the epoch, may be negative or fractional (PAX); `Math.floor` gives the exact second. */
  mtime: number;
  /** Byte string (latin1). */
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Per-entry PAX records that applied to this entry, values as raw bytes. */
  pax: Map<string, Buffer>;
  /** Offset of this entry's header block in the tar stream. */
  offset: number;
  /** A sparse file: its content is not one contiguous range after the header. */
  sparse?: boolean;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content; valid until the next entry is requested, skipped when not read. */
  body: AsyncIterable<Buffer>;
}

/** A data range of a sparse file; what lies between ranges reads as zeros. */
interface SparseRange {
  offset: number;
  length: number;
}

/** Reads tar entries from a stream of uncompressed bytes; `where` names the input in errors. */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array>, where: string): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source, where);
  let pendingPax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const offset = reader.offset;
    const block = await reader.read(BLOCK, 'tar header');
    if (block === null) {
      // No bytes at all is an empty archive to Go's archive/tar, and an empty layer to docker load.
      if (pendingPax || longName !== undefined || longLink !== undefined) throw reader.truncated('tar archive after an extended header');
      return; // EOF at a block boundary: lenient, as Go's archive/tar is
    }
    if (isZero(block)) {
      // Go's archive/tar: two zero blocks end the archive, one then EOF too; one then a header is an error.
      const next = await reader.read(BLOCK, 'end of archive');
      if (next !== null && !isZero(next)) {
        throw new BadInputError(`${where}: a lone zero block at byte ${offset} is followed by more data (Docker refuses this: "archive/tar: invalid tar header")`);
      }
      // End of archive; read whatever follows (padding) so callers hashing the stream see it all.
      await reader.drain();
      return;
    }
    const format = verifyChecksum(block, where, offset);
    let typeflag = block[156] === 0 ? '\0' : String.fromCharCode(block[156]!);
    let size = parseNumber(block, 124, 12, where, offset, 'size');
    if (size < 0) throw new BadInputError(`${where}: negative size in tar header at byte ${offset}`);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > 64 * 1024 * 1024) throw new BadInputError(`${where}: extended header of ${size} bytes at byte ${offset} is implausible`);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const data = (await reader.read(padded, 'extended header')) ?? Buffer.alloc(0);
      if (data.length < padded) throw reader.truncated('extended header');
      const content = data.subarray(0, size);
      if (typeflag === 'x') {
        const records = parsePax(content, where, offset);
        pendingPax ??= new Map();
        for (const [k, v] of records) pendingPax.set(k, v);
      } else if (typeflag === 'g') {
        // Go's archive/tar returns global headers as entries of their own and moby's layer code skips them:
        // they never change the entries after them. Still parsed, so a malformed one is refused as Go does.
        parsePax(content, where, offset);
      } else {
        const nul = content.indexOf(0);
        const text = (nul >= 0 ? content.subarray(0, nul) : content).toString('latin1');
        if (typeflag === 'L') longName = text;
        else longLink = text;
      }
      continue;
    }
    const pax = pendingPax ?? new Map<string, Buffer>();
    const header: TarHeader = {
      name: longName ?? headerName(block, format),
      typeflag,
      mode: parseNumber(block, 100, 8, where, offset, 'mode'),
      uid: parseNumber(block, 108, 8, where, offset, 'uid'),
      gid: parseNumber(block, 116, 8, where, offset, 'gid'),
      size,
      mtime: parseNumber(block, 136, 12, where, offset, 'mtime'),
      linkname: longLink ?? cString(block, 157, 100),
      uname: cString(block, 265, 32),
      gname: cString(block, 297, 32),
      devmajor: format === 'v7' ? 0 : parseNumber(block, 329, 8, where, offset, 'devmajor'),
      devminor: format === 'v7' ? 0 : parseNumber(block, 337, 8, where, offset, 'devminor'),
      pax,
      offset,
    };
    for (const field of ['mode', 'uid', 'gid'] as const) {
      if (header[field] < 0) throw new BadInputError(`${where}: negative ${field} in tar header at byte ${offset}`);
    }
    applyPax(header, where);
    pendingPax = undefined;
    longName = undefined;
    longLink = undefined;
    // Go's archive/tar: a V7 regular file ('\0') whose name ends in '/' is a directory.
    if (typeflag === '\0') typeflag = header.name.endsWith('/') ? '5' : '0';
    header.typeflag = typeflag;
    size = header.size;
    // Only regular files (and unknown types) carry data; links and dirs may declare a size but have none.
    const headerOnly = typeflag === '1' || typeflag === '2' || typeflag === '3' || typeflag === '4' || typeflag === '5' || typeflag === '6';
    let physical = headerOnly ? 0 : size;
    let sparse: SparseRange[] | undefined;
    if (typeflag === 'S') {
      sparse = await oldGnuSparse(block, reader, where, offset);
      header.size = parseNumber(block, 483, 12, where, offset, 'sparse real size');
    } else if (!headerOnly) {
      const found = await paxSparse(header, reader, where);
      if (found) {
        sparse = found.ranges;
        physical -= found.mapBytes;
      }
    }
    if (sparse) {
      if (headerOnly) throw new BadInputError(`${where}: sparse map on a ${typeflag} entry at byte ${offset}`);
      checkSparse(sparse, header.size, physical, where, offset);
      header.sparse = true;
    }
    if (physical < 0) throw new BadInputError(`${where}: GNU sparse map larger than the entry at byte ${offset}`);
    const paddedEnd = reader.offset + Math.ceil(physical / BLOCK) * BLOCK;
    let consumed = 0;
    let started = false;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        if (started) throw new Error('tar entry body read twice');
        started = true;
        if (!sparse) {
          // one generator per entry (not nested ones): layers of many small files pay for each
          for await (const piece of reader.take(physical, 'file content')) {
            consumed += piece.length;
            yield piece;
          }
          return;
        }
        let at = 0;
        for (const r of sparse) {
          yield* zeros(r.offset - at);
          for await (const piece of reader.take(r.length, 'file content')) {
            consumed += piece.length;
            yield piece;
          }
          at = r.offset + r.length;
        }
        yield* zeros(header.size - at);
      },
    };
    yield { header, body };
    if (consumed < physical) await reader.discard(physical - consumed, 'file content');
    if (paddedEnd > reader.offset) await reader.discard(paddedEnd - reader.offset, 'padding');
  }
}

const ZEROS = Buffer.alloc(256 * 1024);

function* zeros(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}

type Format = 'ustar' | 'gnu' | 'v7';

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Checks the header checksum and tells the format by its magic, as Go's archive/tar does. */
function verifyChecksum(block: Buffer, where: string, offset: number): Format {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 32 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  const stored = parseOctal(block, 148, 8);
  if (stored === undefined || (stored !== unsigned && stored !== signed)) {
    throw new BadInputError(`${where}: bad tar header checksum at byte ${offset} (not a tar archive, or corrupt)`);
  }
  const magic = block.toString('latin1', 257, 265);
  if (magic === 'ustar\u000000') return 'ustar';
  if (magic === 'ustar  \u0000') return 'gnu';
  return 'v7';
}

function cString(block: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && block[end] !== 0) end++;
  return block.toString('latin1', start, end);
}

/** The name field, with the ustar prefix; GNU headers keep atime and ctime where ustar has the prefix. */
function headerName(block: Buffer, format: Format): string {
  const name = cString(block, 0, 100);
  if (format === 'ustar') {
    const prefix = cString(block, 345, 155);
    if (prefix) return `${prefix}/${name}`;
  }
  return name;
}

function parseOctal(block: Buffer, start: number, length: number): number | undefined {
  let i = start;
  const end = start + length;
  while (i < end && (block[i] === 32 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0 || c === 32) break;
    if (c < 48 || c > 55) return undefined;
    value = value * 8 + (c - 48);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

/** Octal, or GNU base-256 (two's complement, so possibly negative) when the high bit of the first byte is set. */
function parseNumber(block: Buffer, start: number, length: number, where: string, offset: number, field: string): number {
  const first = block[start]!;
  if (first & 0x80) {
    const invert = first & 0x40 ? 0xff : 0;
    let value = 0n;
    for (let i = start; i < start + length; i++) {
      let c = block[i]! ^ invert;
      if (i === start) c &= 0x7f;
      value = (value << 8n) | BigInt(c);
    }
    if (invert) value = -value - 1n;
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new BadInputError(`${where}: ${field} out of range in tar header at byte ${offset}`);
    }
    return Number(value);
  }
  const v = parseOctal(block, start, length);
  if (v === undefined) throw new BadInputError(`${where}: unreadable ${field} in tar header at byte ${offset}`);
  return v;
}

const SPARSE_OFFSET = 'GNU.sparse.offset';
const SPARSE_NUMBYTES = 'GNU.sparse.numbytes';
const SPARSE_MAP = 'GNU.sparse.map';

/**
 * PAX records: `LEN KEY=VALUE\n`, VALUE raw bytes (xattrs may be binary). GNU sparse 0.0 repeats
 * `GNU.sparse.offset` / `GNU.sparse.numbytes`: those are joined into `GNU.sparse.map` as Go does.
 */
export function parsePax(data: Buffer, where: string, offset: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const sparseMap: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad with NULs
    const space = data.indexOf(32, pos);
    if (space < 0 || space - pos > 20) throw new BadInputError(`${where}: malformed PAX record at byte ${offset}`);
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 10) {
      throw new BadInputError(`${where}: malformed PAX record at byte ${offset}`);
    }
    const eq = data.indexOf(61, space + 1);
    if (eq < 0 || eq >= pos + len) throw new BadInputError(`${where}: malformed PAX record at byte ${offset}`);
    const key = data.toString('utf8', space + 1, eq);
    const value = Buffer.from(data.subarray(eq + 1, pos + len - 1));
    if (key === SPARSE_OFFSET || key === SPARSE_NUMBYTES) {
      const text = value.toString('latin1');
      if ((key === SPARSE_OFFSET) !== (sparseMap.length % 2 === 0) || text.includes(',')) {
        throw new BadInputError(`${where}: malformed GNU sparse map at byte ${offset}`);
      }
      sparseMap.push(text);
    } else {
      out.set(key, value);
    }
    pos += len;
  }
  if (sparseMap.length) out.set(SPARSE_MAP, Buffer.from(sparseMap.join(','), 'latin1'));
  return out;
}

/** A PAX time (`-1.5`, `1700000000.123456789`), as a number whose floor is the exact second. */
export function parsePaxTime(text: string): number | undefined {
  const m = /^(-?)(\d{1,16})(?:\.(\d*))?$/.exec(text);
  if (!m) return undefined;
  const whole = Number(m[2]);
  const fraction = /[1-9]/.test(m[3] ?? '');
  const floor = m[1] ? (fraction ? -whole - 1 : -whole) : whole;
  let value = Number(`${m[1]}${m[2]}.${m[3] || '0'}`) + 0;
  // A fraction just below the next second may round up to it in a double: step back below it.
  while (Math.floor(value) > floor) value = nextDown(value);
  return value;
}

function nextDown(v: number): number {
  const f = new Float64Array([v]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = v > 0 ? bits[0]! - 1n : bits[0]! + 1n;
  return f[0]!;
}

function applyPax(h: TarHeader, where: string): void {
  const num = (key: string): number | undefined => {
    const v = h.pax.get(key);
    if (v === undefined) return undefined;
    const text = v.toString('latin1');
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) throw new BadInputError(`${where}: bad PAX ${key} at byte ${h.offset}`);
    return n;
  };
  const path = h.pax.get('path');
  if (path) h.name = path.toString('latin1');
  const link = h.pax.get('linkpath');
  if (link) h.linkname = link.toString('latin1');
  h.size = num('size') ?? h.size;
  h.uid = num('uid') ?? h.uid;
  h.gid = num('gid') ?? h.gid;
  const mtime = h.pax.get('mtime');
  if (mtime !== undefined) {
    const t = parsePaxTime(mtime.toString('latin1'));
    if (t === undefined) throw new BadInputError(`${where}: bad PAX mtime at byte ${h.offset}`);
    h.mtime = t;
  }
  const uname = h.pax.get('uname');
  if (uname) h.uname = uname.toString('utf8');
  const gname = h.pax.get('gname');
  if (gname) h.gname = gname.toString('utf8');
}

const MAX_SPARSE_RANGES = 1 << 20;

/** GNU sparse in PAX records (0.0, 0.1: the map in records; 1.0: the map at the start of the data). */
async function paxSparse(h: TarHeader, reader: ByteReader, where: string): Promise<{ ranges: SparseRange[]; mapBytes: number } | undefined> {
  const text = (key: string) => h.pax.get(key)?.toString('latin1');
  const major = text('GNU.sparse.major');
  const minor = text('GNU.sparse.minor');
  let v1: boolean;
  if (major === '0' && (minor === '0' || minor === '1')) v1 = false;
  else if (major === '1' && minor === '0') v1 = true;
  else if (major !== undefined || minor !== undefined) return undefined; // an unknown version: as Go, a plain file
  else if (text(SPARSE_MAP)) v1 = false;
  else return undefined;
  const name = h.pax.get('GNU.sparse.name');
  if (name && name.length) h.name = name.toString('latin1');
  const bad = () => new BadInputError(`${where}: malformed GNU sparse map at byte ${h.offset}`);
  const realSize = text('GNU.sparse.size') ?? text('GNU.sparse.realsize');
  if (realSize !== undefined) {
    if (!/^\d{1,16}$/.test(realSize)) throw bad();
    h.size = Number(realSize);
  }
  if (!v1) {
    const fields = text(SPARSE_MAP)?.split(',') ?? [];
    if (fields.length === 1 && fields[0] === '') fields.length = 0;
    if (fields.length % 2 !== 0 || fields.length / 2 > MAX_SPARSE_RANGES) throw bad();
    return { ranges: pairs(fields.map((f) => decimal(f, bad))), mapBytes: 0 };
  }
  // 1.0: newline-terminated decimals, a count then offset/length pairs, padded to a whole block.
  const numbers: number[] = [];
  let line = '';
  let mapBytes = 0;
  let want = -1;
  while (want < 0 || numbers.length < want) {
    const block = await reader.read(BLOCK, 'GNU sparse map');
    if (block === null) throw reader.truncated('GNU sparse map');
    mapBytes += BLOCK;
    for (let i = 0; i < BLOCK && (want < 0 || numbers.length < want); i++) {
      const c = block[i]!;
      if (c !== 10) {
        if (c < 48 || c > 57 || line.length > 16) throw bad();
        line += String.fromCharCode(c);
        continue;
      }
      const n = decimal(line, bad);
      line = '';
      if (want < 0) {
        if (n > MAX_SPARSE_RANGES) throw bad();
        want = 2 * n;
      } else numbers.push(n);
    }
  }
  return { ranges: pairs(numbers), mapBytes };
}

function decimal(text: string, bad: () => Error): number {
  if (!/^\d{1,16}$/.test(text)) throw bad();
  return Number(text);
}

function pairs(numbers: number[]): SparseRange[] {
  const out: SparseRange[] = [];
  for (let i = 0; i < numbers.length; i += 2) out.push({ offset: numbers[i]!, length: numbers[i + 1]! });
  return out;
}

/** The sparse map of an old GNU 'S' header: four ranges in the header, more in extension blocks after it. */
async function oldGnuSparse(block: Buffer, reader: ByteReader, where: string, offset: number): Promise<SparseRange[]> {
  const ranges: SparseRange[] = [];
  const collect = (b: Buffer, start: number, count: number) => {
    for (let i = 0; i < count; i++) {
      const at = start + i * 24;
      if (b[at] === 0) break;
      ranges.push({ offset: parseNumber(b, at, 12, where, offset, 'sparse offset'), length: parseNumber(b, at + 12, 12, where, offset, 'sparse length') });
    }
  };
  collect(block, 386, 4);
  let extended = block[482] !== 0;
  while (extended) {
    const ext = await reader.read(BLOCK, 'GNU sparse extension');
    if (ext === null) throw reader.truncated('GNU sparse extension');
    collect(ext, 0, 21);
    extended = ext[504] !== 0;
    if (ranges.length > MAX_SPARSE_RANGES) throw new BadInputError(`${where}: implausible GNU sparse map at byte ${offset}`);
  }
  return ranges;
}

/** Ranges in order, not overlapping, inside the file, and exactly as many data bytes as stored (Go's rules). */
function checkSparse(ranges: SparseRange[], size: number, physical: number, where: string, offset: number): void {
  let end = 0;
  let data = 0;
  for (const r of ranges) {
    if (r.offset < end || r.length < 0 || r.offset + r.length > size) {
      throw new BadInputError(`${where}: GNU sparse map out of order or beyond the file's size at byte ${offset}`);
    }
    end = r.offset + r.length;
    data += r.length;
  }
  if (data !== physical) {
    throw new BadInputError(`${where}: GNU sparse map describes ${data} bytes of data but the entry at byte ${offset} stores ${physical}`);
  }
}
