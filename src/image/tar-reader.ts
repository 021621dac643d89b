/**
 * A streaming tar reader: ustar, PAX (per-entry and global, binary values kept byte-exact, e.g.
 * `SCHILY.xattr.security.capability`) and GNU long names/links. Names are byte strings (each char is one
 * byte, latin1), so non-UTF-8 names survive round trips; see `displayPath` in layer-entry.ts.
 */
import { BadInputError } from '../errors.js';
import { ByteReader } from './byte-reader.js';

const BLOCK = 512;

export interface TarHeader {
  /** Byte string (latin1), after PAX / GNU long-name overrides. */
  name: string;
  /** The typeflag character ('0', '5', '2', '1', ...); '\0' is normalised to '0'. */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** Byte string (latin1). */
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** PAX records that applied to this entry (global and per-entry), values as raw bytes. */
  pax: Map<string, Buffer>;
  /** Offset of this entry's header block in the tar stream. */
  offset: number;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content; valid until the next entry is requested, skipped when not read. */
  body: AsyncIterable<Buffer>;
}

/** Reads tar entries from a stream of uncompressed bytes; `where` names the input in errors. */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array>, where: string): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source, where);
  const globalPax = new Map<string, Buffer>();
  let pendingPax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let sawEntry = false;
  for (;;) {
    const offset = reader.offset;
    const block = await reader.read(BLOCK, 'tar header');
    if (block === null) {
      if (!sawEntry) throw new BadInputError(`${where}: empty stream, not a tar archive`);
      if (pendingPax || longName !== undefined || longLink !== undefined) throw reader.truncated('tar archive after an extended header');
      return; // EOF at a block boundary: lenient, as Go's archive/tar is
    }
    if (isZero(block)) {
      // End of archive; read whatever follows (the second zero block, padding) so callers hashing the stream see it all.
      await reader.drain();
      return;
    }
    verifyChecksum(block, where, offset);
    sawEntry = true;
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    const size = parseNumber(block, 124, 12, where, offset, 'size');
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > 64 * 1024 * 1024) throw new BadInputError(`${where}: extended header of ${size} bytes at byte ${offset} is implausible`);
      const data = (await reader.read(padded, 'extended header')) ?? Buffer.alloc(0);
      if (data.length < padded) throw reader.truncated('extended header');
      const content = data.subarray(0, size);
      if (typeflag === 'x' || typeflag === 'g') {
        const records = parsePax(content, where, offset);
        if (typeflag === 'g') for (const [k, v] of records) globalPax.set(k, v);
        else {
          pendingPax ??= new Map();
          for (const [k, v] of records) pendingPax.set(k, v);
        }
      } else {
        const nul = content.indexOf(0);
        const text = (nul >= 0 ? content.subarray(0, nul) : content).toString('latin1');
        if (typeflag === 'L') longName = text;
        else longLink = text;
      }
      continue;
    }
    const pax = new Map(globalPax);
    if (pendingPax) for (const [k, v] of pendingPax) pax.set(k, v);
    const header: TarHeader = {
      name: longName ?? ustarName(block),
      typeflag,
      mode: parseNumber(block, 100, 8, where, offset, 'mode'),
      uid: parseNumber(block, 108, 8, where, offset, 'uid'),
      gid: parseNumber(block, 116, 8, where, offset, 'gid'),
      size,
      mtime: parseNumber(block, 136, 12, where, offset, 'mtime'),
      linkname: longLink ?? cString(block, 157, 100),
      uname: cString(block, 265, 32),
      gname: cString(block, 297, 32),
      devmajor: parseNumber(block, 329, 8, where, offset, 'devmajor'),
      devminor: parseNumber(block, 337, 8, where, offset, 'devminor'),
      pax,
      offset,
    };
    applyPax(header, where);
    pendingPax = undefined;
    longName = undefined;
    longLink = undefined;
    // Only regular files (and unknown types) carry data; links and dirs may declare a size but have none.
    const bodySize = typeflag === '1' || typeflag === '2' || typeflag === '3' || typeflag === '4' || typeflag === '5' || typeflag === '6' ? 0 : header.size;
    const bodyPadded = Math.ceil(bodySize / BLOCK) * BLOCK;
    let consumed = 0;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        if (consumed > 0) throw new Error('tar entry body read twice');
        for await (const piece of reader.take(bodySize, 'file content')) {
          consumed += piece.length;
          yield piece;
        }
      },
    };
    yield { header, body };
    if (consumed < bodySize) await reader.discard(bodySize - consumed, 'file content');
    if (bodyPadded > bodySize) await reader.discard(bodyPadded - bodySize, 'padding');
  }
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function verifyChecksum(block: Buffer, where: string, offset: number): void {
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
}

function cString(block: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && block[end] !== 0) end++;
  return block.toString('latin1', start, end);
}

function ustarName(block: Buffer): string {
  const name = cString(block, 0, 100);
  const magic = block.toString('latin1', 257, 262);
  if (magic === 'ustar') {
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

/** Octal, or GNU base-256 when the high bit of the first byte is set. */
function parseNumber(block: Buffer, start: number, length: number, where: string, offset: number, field: string): number {
  const first = block[start]!;
  if (first & 0x80) {
    let value = first & 0x7f;
    if (first & 0x40) throw new BadInputError(`${where}: negative ${field} in tar header at byte ${offset}`);
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    if (!Number.isSafeInteger(value)) throw new BadInputError(`${where}: ${field} too large in tar header at byte ${offset}`);
    return value;
  }
  const v = parseOctal(block, start, length);
  if (v === undefined) throw new BadInputError(`${where}: unreadable ${field} in tar header at byte ${offset}`);
  return v;
}

/** PAX records: `LEN KEY=VALUE\n`, VALUE raw bytes (xattrs may be binary). */
export function parsePax(data: Buffer, where: string, offset: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
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
    out.set(key, Buffer.from(data.subarray(eq + 1, pos + len - 1)));
    pos += len;
  }
  return out;
}

function applyPax(h: TarHeader, where: string): void {
  const num = (key: string): number | undefined => {
    const v = h.pax.get(key);
    if (v === undefined) return undefined;
    const n = Number(v.toString('latin1'));
    if (!Number.isFinite(n) || n < 0) throw new BadInputError(`${where}: bad PAX ${key} at byte ${h.offset}`);
    return n;
  };
  const path = h.pax.get('path');
  if (path) h.name = path.toString('latin1');
  const link = h.pax.get('linkpath');
  if (link) h.linkname = link.toString('latin1');
  h.size = num('size') ?? h.size;
  h.uid = num('uid') ?? h.uid;
  h.gid = num('gid') ?? h.gid;
  h.mtime = num('mtime') ?? h.mtime;
  const uname = h.pax.get('uname');
  if (uname) h.uname = uname.toString('utf8');
  const gname = h.pax.get('gname');
  if (gname) h.gname = gname.toString('utf8');
  if (!Number.isSafeInteger(h.size)) throw new BadInputError(`${where}: bad size in tar header at byte ${h.offset}`);
}
