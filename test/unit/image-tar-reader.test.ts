import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { readTar, type TarHeader } from '../../src/image/tar-reader.js';
import { decompress } from '../../src/image/decompress.js';
import { tarBuffer } from '../../src/image/tar-writer.js';
import { readLayerEntries } from '../../src/image/layer-index.js';
import { gzipSync } from 'node:zlib';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'test', 'samples', 'images');

async function* chunks(buf: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function headers(source: AsyncIterable<Buffer>, where = 'sample'): Promise<{ h: TarHeader; content: Buffer }[]> {
  const out = [];
  for await (const { header, body } of readTar(source, where)) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ h: header, content: Buffer.concat(parts) });
  }
  return out;
}

/** GNU tar's `-tv` listing, the reference: C escapes decoded to bytes (latin1 strings). */
function gnuListing(text: string) {
  const unescape = (s: string) => s.replace(/\\([0-7]{3}|n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : String.fromCharCode(parseInt(c, 8))));
  return text.trim().split('\n').map((line) => {
    const m = /^(\S)(\S{9})\s+(\d+)\/(\d+)\s+(\d+) \S+ \S+ (.*)$/.exec(line)!;
    let name = m[6]!;
    let link: string | undefined;
    if (m[1] === 'l') [name, link] = name.split(' -> ') as [string, string];
    if (m[1] === 'h') [name, link] = name.split(' link to ') as [string, string];
    let mode = 0;
    const p = m[2]!;
    const bits = [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1];
    for (let i = 0; i < 9; i++) if (p[i] !== '-' && p[i] !== 'S' && p[i] !== 'T') mode |= bits[i]!;
    if (p[2] === 's' || p[2] === 'S') mode |= 0o4000;
    if (p[5] === 's' || p[5] === 'S') mode |= 0o2000;
    if (p[8] === 't' || p[8] === 'T') mode |= 0o1000;
    return { type: m[1]!, mode, uid: Number(m[3]), gid: Number(m[4]), size: Number(m[5]), name: unescape(name), link: link && unescape(link) };
  });
}

const TYPE_OF: Record<string, string> = { '-': '0', d: '5', l: '2', h: '1' };

for (const sample of ['gnu-long', 'pax-xattr']) {
  test(`tar reader lists ${sample}.tar exactly as GNU tar does (long names, links, odd bytes)`, async () => {
    const expected = gnuListing(readFileSync(join(SAMPLES, `${sample}.listing`), 'latin1'));
    const got = await headers(chunks(readFileSync(join(SAMPLES, `${sample}.tar`)), 777));
    assert.equal(got.length, expected.length);
    got.forEach(({ h, content }, i) => {
      const e = expected[i]!;
      assert.equal(h.name, e.name);
      assert.equal(h.typeflag, TYPE_OF[e.type]);
      assert.equal(h.mode & 0o7777, e.mode, e.name);
      assert.equal(h.uid, e.uid);
      assert.equal(h.gid, e.gid);
      if (e.type === '-') assert.equal(content.length, e.size);
      if (e.link !== undefined) assert.equal(h.linkname, e.link);
    });
    assert.ok(got.some(({ h }) => h.name.length > 255), 'a path longer than 255 bytes');
  });
}

test('PAX binary xattrs are kept byte-exact (security.capability as getfattr shows it)', async () => {
  const getfattr = readFileSync(join(SAMPLES, 'pax-xattr.getfattr'), 'utf8');
  const hex = /security\.capability=0x([0-9a-f]+)/.exec(getfattr)![1]!;
  const got = await headers(chunks(readFileSync(join(SAMPLES, 'pax-xattr.tar'))));
  const ping = got.find(({ h }) => h.name === './dir/ping')!;
  assert.deepEqual(ping.h.pax.get('SCHILY.xattr.security.capability'), Buffer.from(hex, 'hex'));
  assert.equal(ping.content.toString(), 'ping');
});

test('gzip and zstd layers decompress to the same entries', async () => {
  for (const [plain, packed] of [['gnu-long.tar', 'gnu-long.tar.gz'], ['pax-xattr.tar', 'pax-xattr.tar.zst']] as const) {
    const a = await headers(chunks(readFileSync(join(SAMPLES, plain))));
    const { compression, stream } = await decompress(chunks(readFileSync(join(SAMPLES, packed)), 100), packed);
    assert.equal(compression, packed.endsWith('.gz') ? 'gzip' : 'zstd');
    const b = await headers(stream);
    assert.deepEqual(b.map((x) => [x.h.name, x.h.mode, x.content.toString('hex')]), a.map((x) => [x.h.name, x.h.mode, x.content.toString('hex')]));
  }
});

test('tar writer and reader round-trip long, non-UTF-8 and newline names, big ids and binary xattrs', async () => {
  const long = `${'x'.repeat(150)}/${'y'.repeat(150)}/z`;
  const odd = 'bad\xe9name\nwith newline';
  const cap = Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const tar = tarBuffer([
    { header: { name: long, typeflag: '0', mode: 0o4755, uid: 3_000_000, gid: 5, size: 0, mtime: 1, pax: { 'SCHILY.xattr.security.capability': cap } }, content: Buffer.from('abc') },
    { header: { name: odd, typeflag: '2', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1, linkname: long } },
    { header: { name: 'h', typeflag: '1', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1, linkname: long } },
  ]);
  const got = await headers(chunks(tar, 300));
  assert.equal(got[0]!.h.name, long);
  assert.equal(got[0]!.h.uid, 3_000_000);
  assert.equal(got[0]!.h.mode, 0o4755);
  assert.deepEqual(got[0]!.h.pax.get('SCHILY.xattr.security.capability'), cap);
  assert.equal(got[0]!.content.toString(), 'abc');
  assert.equal(got[1]!.h.name, odd);
  assert.equal(got[1]!.h.linkname, long);
  assert.equal(got[2]!.h.typeflag, '1');
});

test('a truncated tar is a BadInputError naming the input and the byte offset', async () => {
  const tar = readFileSync(join(SAMPLES, 'pax-xattr.tar'));
  for (const cut of [100, 600, 1500, 2100, 5000]) {
    await assert.rejects(headers(chunks(tar.subarray(0, cut)), 'layer 3'), (err: Error) => {
      assert.ok(err instanceof BadInputError, `${cut}: ${err.message}`);
      assert.match(err.message, /^layer 3: truncated .* at byte \d+/);
      return true;
    });
  }
});

test('a corrupt header is rejected by its checksum, with the offset', async () => {
  const tar = Buffer.from(readFileSync(join(SAMPLES, 'gnu-long.tar')));
  tar[1024 + 3] ^= 0x40;
  await assert.rejects(headers(chunks(tar), 'layer 0'), /layer 0: bad tar header checksum at byte 1024/);
  await assert.rejects(headers(chunks(Buffer.from('{"not":"a tar"}'.padEnd(600, ' '))), 'x'), BadInputError);
});

test('corrupt gzip and zstd streams are BadInputErrors, not crashes', async () => {
  for (const name of ['gnu-long.tar.gz', 'pax-xattr.tar.zst']) {
    const packed = Buffer.from(readFileSync(join(SAMPLES, name)));
    const bad = Buffer.from(packed);
    for (let i = 20; i < bad.length - 20; i += 7) bad[i] ^= 0x5a;
    const read = async (b: Buffer) => headers((await decompress(chunks(b, 64), name)).stream, name);
    await assert.rejects(read(bad), BadInputError);
    await assert.rejects(read(packed.subarray(0, Math.floor(packed.length / 2))), BadInputError);
  }
});

test('readLayerEntries streams a gzip layer as entries with bodies, whiteouts and opaque markers mapped', async () => {
  const layer = tarBuffer([
    { header: { name: 'etc/', typeflag: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 } },
    { header: { name: 'etc/.wh..wh..opq', typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 } },
    { header: { name: 'etc/.wh.old', typeflag: '0', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 } },
    { header: { name: './etc/new', typeflag: '0', mode: 0o600, uid: 7, gid: 8, size: 0, mtime: 1 }, content: Buffer.from('fresh') },
  ]);
  const got: [string, string, string][] = [];
  for await (const e of readLayerEntries(chunks(gzipSync(layer), 50), 'layer 0')) {
    const parts: Buffer[] = [];
    if (e.body) for await (const c of e.body) parts.push(c);
    got.push([e.type, e.path, Buffer.concat(parts).toString()]);
  }
  assert.deepEqual(got, [['dir', 'etc', ''], ['opaque', 'etc', ''], ['whiteout', 'etc/old', ''], ['file', 'etc/new', 'fresh']]);
});
