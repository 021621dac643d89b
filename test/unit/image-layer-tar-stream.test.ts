import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { contentHasher, emptyDigest } from '../../src/image/content-hash.js';
import type { LayerEntry } from '../../src/image/layer-entry.js';
import { layerTarSize, layerTarStream, type TarContent } from '../../src/image/layer-tar-stream.js';
import { headerForEntry, tarBuffer } from '../../src/image/tar-writer.js';

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const file = (path: string, body: Buffer): LayerEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 1000 });
const dir = (path: string): LayerEntry => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1000 });

/** Files of every size class: empty, around a block, larger than a batch but "small", large. */
const bodies = new Map<string, Buffer>([
  ['app/empty', Buffer.alloc(0)],
  ['app/511', bytes(511, 1)],
  ['app/512', bytes(512, 2)],
  ['app/513', bytes(513, 3)],
  ['app/300k', bytes(300 * 1024, 4)],
  ['app/big', bytes(3 * 1024 * 1024 + 7, 5)],
]);
const entries: LayerEntry[] = [
  dir('app'),
  ...[...bodies].map(([p, b]) => file(p, b)),
  { path: 'app/link', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1000, linkTarget: 'app/511' },
  { path: 'app/sym', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1000, linkTarget: '511' },
];
const reference = tarBuffer(entries.map((e) => ({ header: headerForEntry(e), content: e.type === 'file' ? bodies.get(e.path) : undefined })));

/** Content in chunks of `chunk` bytes, and optionally read at once for files up to `smallFile`. */
function content(chunk: number, smallFile?: number, short?: string): TarContent {
  return {
    async *open(e) {
      const b = bodies.get(e.path)!;
      for (let i = 0; i < b.length; i += chunk) yield b.subarray(i, i + chunk);
    },
    ...(smallFile ? {
      smallFile,
      readInto: (e: LayerEntry, target: Buffer, offset: number) => {
        const b = bodies.get(e.path)!;
        return b.copy(target, offset, 0, e.path === short ? b.length - 1 : b.length);
      },
    } : {}),
  };
}

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

test('layer tar: the same bytes as the reference writer whether files are streamed or read into the batch', async () => {
  assert.equal(layerTarSize(entries), reference.length);
  for (const [chunk, small] of [[1000, undefined], [64 * 1024, undefined], [1024 * 1024, 1024 * 1024], [7, 512]] as const) {
    const chunks = await collect(layerTarStream(entries, content(chunk, small)));
    assert.ok(chunks.every((c) => c.length > 0), `chunk ${chunk} small ${small}: no empty chunk`);
    assert.ok(Buffer.concat(chunks).equals(reference), `chunk ${chunk} small ${small}: bytes differ`);
  }
});

test('layer tar: observe sees each file\'s whole content once, in order, however it was read', async () => {
  for (const small of [undefined, 1024 * 1024]) {
    const seen = new Map<string, number>();
    const stream = layerTarStream(entries, {
      ...content(4096, small),
      observe: (e) => {
        let crc = 0;
        return { update: (c) => { crc = crc32(c, crc); }, end: () => { assert.ok(!seen.has(e.path)); seen.set(e.path, crc); } };
      },
    });
    await collect(stream);
    const want = [...bodies].filter(([, b]) => b.length > 0).map(([p, b]) => [p, crc32(b)]);
    assert.deepEqual([...seen], want, `small ${small}`);
  }
});

test('layer tar: a file read short says which file changed while it was read', async () => {
  for (const small of [undefined, 1024 * 1024]) {
    const c = content(4096, small, 'app/513');
    const open = c.open;
    if (!small) c.open = async function* (e) { for await (const b of open(e)) yield e.path === 'app/513' ? b.subarray(1) : b; };
    await assert.rejects(collect(layerTarStream(entries, c)), /app\/513 is 512 bytes, its layer said 513: the source changed/);
  }
});

test('content hashes: crc32 and sha256 check values, and the empty file\'s', () => {
  const crc = contentHasher('crc32');
  crc.update(Buffer.from('1234'));
  crc.update(Buffer.from('56789'));
  assert.equal(crc.digest(), 'crc32:cbf43926');
  assert.equal(emptyDigest('crc32'), 'crc32:00000000');
  assert.equal(emptyDigest('sha256'), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const sha = contentHasher('sha256');
  sha.update(Buffer.from('abc'));
  assert.equal(sha.digest(), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
