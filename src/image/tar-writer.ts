/**
 * Writes tar entries as ustar, adding a PAX header when a name, link target, size, id or mtime does not fit
 * (mtimes that are fractional, negative or past the year 2242 go in a PAX `mtime` record) or when there are xattrs (`SCHILY.xattr.*`, values byte-exact). Names are byte strings as in layer-entry.ts.
 * Used by tests to make archives; flatten writes its layers with it.
 */
import type { LayerEntry } from './layer-entry.js';
import type { TarHeader } from './tar-reader.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, baseName, parentOf } from './layer-entry.js';

const BLOCK = 512;

/** What a header needs to be written: the reader's fields, the optional ones optional, PAX as a record. */
export type TarWriteHeader = Pick<TarHeader, 'name' | 'typeflag' | 'mode' | 'uid' | 'gid' | 'size' | 'mtime'>
  & Partial<Pick<TarHeader, 'linkname' | 'uname' | 'gname' | 'devmajor' | 'devminor'>>
  & {
    /** Extra PAX records (e.g. `SCHILY.xattr.security.capability`). */
    pax?: Record<string, Buffer> | undefined;
  };

/**
 * Writes `value` as zero-padded octal digits and a NUL into `length` bytes at `start`; false, writing
 * nothing, when it does not fit. Digits are written one by one: a string and a write per field cost more than
 * the rest of a header together (flatten writes one header per file).
 */
function octal(buf: Buffer, value: number, start: number, length: number): boolean {
  if (!Number.isInteger(value) || value < 0) return octalText(buf, value, start, length);
  if (value > OCTAL_MAX[length]!) return false;
  let v = value;
  for (let i = start + length - 2; i >= start; i--) {
    buf[i] = 48 + (v % 8);
    v = Math.floor(v / 8);
  }
  buf[start + length - 1] = 0;
  return true;
}

/** The largest value of octal digits in a field of `length` bytes (one is the NUL), by length. */
const OCTAL_MAX = Array.from({ length: 13 }, (_, n) => (n > 0 ? 8 ** (n - 1) - 1 : 0));

/** octal() for a value that is not a whole number of 0 or more, as JavaScript writes it in base 8. */
function octalText(buf: Buffer, value: number, start: number, length: number): boolean {
  const s = value.toString(8);
  if (s.length > length - 1) return false;
  buf.write(s.padStart(length - 1, '0'), start, 'latin1');
  buf[start + length - 1] = 0;
  return true;
}

/** Writes up to `length` characters of the byte string `text` at `start`, one byte each (as latin1 does). */
function bytes(buf: Buffer, text: string, start: number, length: number): void {
  const n = Math.min(text.length, length);
  for (let i = 0; i < n; i++) buf[start + i] = text.charCodeAt(i) & 0xff;
}

/** A header block's fixed part: zeros, and the ustar magic and version. */
const USTAR_BLOCK = Buffer.alloc(BLOCK);
USTAR_BLOCK.write('ustar\u000000', 257, 'latin1');

const MAX_OCTAL_11 = 0o77777777777;

function mtimeFits(mtime: number): boolean {
  return Number.isInteger(mtime) && mtime >= 0 && mtime <= MAX_OCTAL_11;
}

/** A PAX time that reads back as the same number (and so the same second): no exponent notation. */
export function formatPaxTime(mtime: number): string {
  if (Number.isInteger(mtime)) return BigInt(mtime).toString();
  const text = String(mtime);
  return /e/i.test(text) ? mtime.toFixed(20) : text;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function headerBlock(h: TarWriteHeader, name: string, linkname: string, size: number, typeflag: string): { block: Buffer; fits: boolean } {
  const b = Buffer.allocUnsafe(BLOCK);
  USTAR_BLOCK.copy(b);
  // names are byte strings (layer-entry.ts): a character is a byte
  let fits = name.length <= 100;
  bytes(b, name, 0, 100);
  fits = octal(b, h.mode & 0o7777, 100, 8) && fits;
  fits = octal(b, h.uid, 108, 8) && fits;
  fits = octal(b, h.gid, 116, 8) && fits;
  fits = octal(b, size, 124, 12) && fits;
  // An mtime that octal cannot hold exactly (fractional, negative, year 2242 or later) goes in a PAX record.
  octal(b, Math.min(MAX_OCTAL_11, Math.max(0, Math.floor(h.mtime))), 136, 12);
  fits = mtimeFits(h.mtime) && fits;
  b[156] = typeflag.charCodeAt(0);
  if (linkname.length > 100) fits = false;
  bytes(b, linkname, 157, 100);
  bytes(b, h.uname ?? '', 265, 31);
  bytes(b, h.gname ?? '', 297, 31);
  octal(b, h.devmajor ?? 0, 329, 8);
  octal(b, h.devminor ?? 0, 337, 8);
  b.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  octal(b, sum, 148, 7);
  b[155] = 32;
  return { block: b, fits };
}

/** The header blocks (PAX header first when needed) for one entry. */
export function tarHeader(h: TarWriteHeader): Buffer {
  const linkname = h.linkname ?? '';
  const probe = headerBlock(h, h.name, linkname, h.size, h.typeflag);
  const nonAscii = /[^\x20-\x7e]/.test(h.name) || /[^\x20-\x7e]/.test(linkname);
  const pax = h.pax ?? {};
  if (probe.fits && !nonAscii && Object.keys(pax).length === 0) return probe.block;
  const records: Buffer[] = [];
  if (Buffer.byteLength(h.name, 'latin1') > 100 || nonAscii) records.push(paxRecord('path', Buffer.from(h.name, 'latin1')));
  if (Buffer.byteLength(linkname, 'latin1') > 100 || nonAscii) records.push(paxRecord('linkpath', Buffer.from(linkname, 'latin1')));
  if (h.size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(h.size))));
  if (h.uid > 0o7777777) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > 0o7777777) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (!mtimeFits(h.mtime)) records.push(paxRecord('mtime', Buffer.from(formatPaxTime(h.mtime))));
  for (const [k, v] of Object.entries(pax)) records.push(paxRecord(k, v));
  const data = Buffer.concat(records);
  const short = (s: string) => Buffer.from(s, 'latin1').subarray(0, 99).toString('latin1').replace(/[^\x20-\x7e]/g, '_');
  const paxHead = headerBlock({ ...h, uid: 0, gid: 0, mode: 0o644 }, short(`PaxHeaders/${baseName(h.name)}`), '', data.length, 'x').block;
  const clamp = { ...h, uid: Math.min(h.uid, 0o7777777), gid: Math.min(h.gid, 0o7777777) };
  const main = headerBlock(clamp, short(h.name), short(linkname), h.size > 0o77777777777 ? 0 : h.size, h.typeflag).block;
  return Buffer.concat([paxHead, data, Buffer.alloc(pad(data.length)), main]);
}

/**
 * A PAX global header holding `records` (a `comment`, as git archive writes one): Go's archive/tar hands it to
 * its caller, and Docker's unpacker passes over it, so it can open an archive whose first member is not known yet.
 */
export function paxGlobalHeader(records: Record<string, string>): Buffer {
  const data = Buffer.concat(Object.entries(records).map(([k, v]) => paxRecord(k, Buffer.from(v, 'utf8'))));
  const h: TarWriteHeader = { name: 'pax_global_header', typeflag: 'g', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0 };
  return Buffer.concat([headerBlock(h, h.name, '', data.length, 'g').block, data, Buffer.alloc(pad(data.length))]);
}

export function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

const TYPEFLAGS: Record<string, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** A layer entry as tar header fields, whiteouts and opaque markers as `.wh.` names. */
export function headerForEntry(e: LayerEntry): TarWriteHeader {
  let name = e.path;
  let typeflag = TYPEFLAGS[e.type] ?? '0';
  if (e.type === 'whiteout') {
    const dir = parentOf(e.path);
    name = `${dir ? `${dir}/` : ''}${WHITEOUT_PREFIX}${baseName(e.path)}`;
    typeflag = '0';
  } else if (e.type === 'opaque') {
    name = `${e.path ? `${e.path}/` : ''}${OPAQUE_MARKER}`;
    typeflag = '0';
  } else if (e.type === 'dir') {
    name = `${e.path}/`;
  }
  const pax: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(e.xattrs ?? {})) pax[`SCHILY.xattr.${k}`] = v;
  return {
    name, typeflag, mode: e.mode, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0, mtime: e.mtime,
    linkname: e.linkTarget, devmajor: e.devMajor, devminor: e.devMinor, pax,
  };
}

/** A whole tar in memory from entries and contents (tests and small fixtures only). */
export function tarBuffer(items: { header: TarWriteHeader; content?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { header, content } of items) {
    const body = content ?? Buffer.alloc(0);
    parts.push(tarHeader({ ...header, size: body.length }), body, Buffer.alloc(pad(body.length)));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
