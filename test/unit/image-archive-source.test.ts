import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BadInputError } from '../../src/errors.js';
import { forEachLayerMember, indexArchiveFile, indexImageStream } from '../../src/image/archive-source.js';
import { openContent } from '../../src/image/content-ref.js';
import { indexOciLayout } from '../../src/image/oci-layout.js';
import { parsePlatform } from '../../src/image/manifest-resolve.js';
import { analyzeLayers } from '../../src/analyze/layer-analysis.js';
import { chunked, dockerArchive, layerTar, ociFiles, tarOf, writeDir, sha256 } from '../support/image-archives.js';

const SAMPLES = join(import.meta.dirname, '..', '..', '..', 'test', 'samples', 'images');

const base = layerTar([
  { entry: { path: 'etc', type: 'dir' } },
  { entry: { path: 'etc/a', type: 'file' }, content: 'aaaa' },
  { entry: { path: 'etc/b', type: 'file' }, content: 'bbbbbbbb' },
  { entry: { path: 'etc/c', type: 'hardlink', linkTarget: 'etc/b' } },
]);
const top = layerTar([
  { entry: { path: 'etc', type: 'dir' } },
  { entry: { path: 'etc/a', type: 'whiteout' } },
  { entry: { path: 'etc/b', type: 'file', uid: 1000, gid: 1000 }, content: 'bbbbbbbb' },
]);
const image = {
  layers: [base, top],
  history: [
    { createdBy: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { createdBy: '/bin/sh -c #(nop)  ENV A=1', empty: true },
    { createdBy: 'RUN /bin/sh -c chown 1000:1000 /etc/b # buildkit' },
    { createdBy: 'LABEL x=y', empty: true },
  ],
};

const read = (buf: Buffer, where = 'test archive') => indexImageStream(chunked(buf, 3000), 'mem', where, 'docker-archive');

test('docker-archive: layers in manifest order, history mapped across empty layers, diff IDs checked', async () => {
  const idx = await read(dockerArchive(image));
  assert.equal(idx.source.kind, 'docker-archive');
  assert.deepEqual(idx.repoTags, ['fake/image:latest']);
  assert.deepEqual(idx.layers.map((l) => l.instruction), ['ADD file:abc in /', 'RUN chown 1000:1000 /etc/b']);
  assert.deepEqual(idx.layers.map((l) => l.diffId), [sha256(base), sha256(top)]);
  const a = analyzeLayers(idx);
  assert.deepEqual([...a.tree.files()].map((f) => f.path), ['etc', 'etc/b', 'etc/c']);
  // etc/b was re-owned: 8 bytes metadata-only; etc/c still links the first copy, so nothing is released.
  assert.equal(a.metadataOnlyBytes, 8);
  assert.equal(a.wastedBytes, 4);
  const gz = await read(gzipSync(dockerArchive(image)));
  assert.deepEqual(gz.layers.map((l) => l.diffId), idx.layers.map((l) => l.diffId));
});

test('OCI layout directory and OCI archive: platform chosen from the index, blobs verified', async () => {
  const arm = { layers: [top.length ? layerTar([{ entry: { path: 'arm', type: 'file' }, content: 'arm64' }]) : top] };
  const files = ociFiles([{ image, platform: { os: 'linux', architecture: 'amd64' } }, { image: arm, platform: { os: 'linux', architecture: 'arm64' } }]);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-oci-'));
  try {
    writeDir(dir, files);
    const amd = await indexOciLayout(dir, { platform: parsePlatform('linux/amd64') });
    assert.equal(amd.source.kind, 'oci-layout');
    assert.equal(amd.layers.length, 2);
    assert.ok(amd.layers.every((l) => l.compressedBytes !== undefined && l.compression === 'gzip'));
    const a64 = await indexOciLayout(dir, { platform: parsePlatform('linux/arm64') });
    assert.deepEqual(a64.layers[0]!.entries.map((e) => e.path), ['arm']);
    await assert.rejects(indexOciLayout(dir, { platform: parsePlatform('linux/s390x') }), /no manifest for platform linux\/s390x; the index has linux\/amd64, linux\/arm64/);
    const fromArchive = await indexImageStream(chunked(tarOf(files)), 'mem', 'oci archive', 'docker-archive', { platform: parsePlatform('linux/arm64') });
    assert.equal(fromArchive.source.kind, 'oci-archive');
    assert.deepEqual(fromArchive.layers[0]!.entries.map((e) => e.path), ['arm']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('zstd layers are read (recorded sample compressed by zstd 1.5)', async () => {
  const plain = readFileSync(join(SAMPLES, 'pax-xattr.tar'));
  const zst = readFileSync(join(SAMPLES, 'pax-xattr.tar.zst'));
  const files = ociFiles([{ image: { layers: [plain] }, platform: { os: 'linux', architecture: 'amd64' } }], () => zst);
  const idx = await indexImageStream(chunked(tarOf(files)), 'mem', 'oci archive', 'docker-archive', { platform: parsePlatform('linux/amd64') });
  assert.equal(idx.layers[0]!.compression, 'zstd');
  assert.equal(idx.layers[0]!.diffId, sha256(plain));
  const ping = idx.layers[0]!.entries.find((e) => e.path === 'dir/ping')!;
  assert.equal(ping.xattrs?.['security.capability']?.toString('hex'), '0100000200200000000000000000000000000000');
});

const badCases: [string, Buffer, RegExp][] = [
  ['missing blob', dockerArchive(image, (m, man) => { m.delete((man[0]!.Layers as string[])[1]!); }), /layer 1 \(".*\/layer.tar"\) is missing from the archive/],
  ['manifest path outside the archive', dockerArchive(image, (_m, man) => { (man[0]!.Layers as string[])[0] = '../../etc/passwd'; }), /names "..\/..\/etc\/passwd", a path outside the archive/],
  ['absolute manifest path', dockerArchive(image, (_m, man) => { man[0]!.Config = '/etc/passwd'; }), /a path outside the archive/],
  ['digest mismatch', dockerArchive(image, (m, man) => {
    const name = (man[0]!.Layers as string[])[0]!;
    const layer = Buffer.from(m.get(name)!);
    layer[1024 + 1] ^= 1; // content of etc/a, not a header: still a valid tar
    m.set(name, layer);
  }), /digest mismatch in layer 0/],
  ['path escape in a layer', dockerArchive({ layers: [layerTar([{ entry: { path: '../../etc/shadow', type: 'file' }, content: 'x' }])] }), /escapes the root/],
  ['corrupt gzip layer', dockerArchive({ layers: [base] }, (m, man) => {
    const name = (man[0]!.Layers as string[])[0]!;
    const gz = gzipSync(m.get(name)!);
    for (let i = 12; i < gz.length - 8; i += 3) gz[i] ^= 0xff;
    m.set(name, gz);
  }), /layer [0-9a-f]{64}\/layer\.tar: corrupt gzip data near compressed byte \d+ \(Z_DATA_ERROR\) \(manifest layer 0\)/],
  ['hardlink to nothing', dockerArchive({ layers: [layerTar([{ entry: { path: 'x', type: 'hardlink', linkTarget: 'nowhere' } }])] }), /hardlink \/x points to \/nowhere/],
];

for (const [name, archive, message] of badCases) {
  test(`bad input: ${name} is a BadInputError naming where it broke`, async () => {
    await assert.rejects(async () => analyzeLayers(await read(archive)), (err: Error) => {
      assert.ok(err instanceof BadInputError, `${err.name}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
  });
}

test('bad input: a truncated archive names the layer and the byte offset', async () => {
  const archive = dockerArchive(image);
  await assert.rejects(read(archive.subarray(0, 2500)), (err: Error) => {
    assert.ok(err instanceof BadInputError);
    assert.match(err.message, /truncated .* at byte \d+/);
    return true;
  });
});

/** Deterministic PRNG so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: mutated archives either read or fail with BadInputError, never crash or hang', { timeout: 60_000 }, async () => {
  const plain = dockerArchive(image);
  const zstdImage = { layers: [readFileSync(join(SAMPLES, 'pax-xattr.tar'))] };
  const inputs = [plain, gzipSync(plain), tarOf(ociFiles([{ image, platform: { os: 'linux', architecture: 'amd64' } }])),
    tarOf(ociFiles([{ image: zstdImage, platform: { os: 'linux', architecture: 'amd64' } }], () => readFileSync(join(SAMPLES, 'pax-xattr.tar.zst'))))];
  let failures = 0;
  let successes = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const rnd = prng(seed);
    const input = Buffer.from(inputs[seed % inputs.length]!);
    const mode = Math.floor(rnd() * 4);
    let mutated: Buffer;
    if (mode === 0) mutated = input.subarray(0, Math.floor(rnd() * input.length));
    else if (mode === 1) {
      mutated = input;
      for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n; i++) mutated[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
    } else if (mode === 2) {
      const at = Math.floor(rnd() * input.length);
      mutated = Buffer.concat([input.subarray(0, at), Buffer.alloc(Math.floor(rnd() * 700), Math.floor(rnd() * 256)), input.subarray(at)]);
    } else {
      const at = Math.floor(rnd() * input.length);
      mutated = Buffer.concat([input.subarray(0, at), input.subarray(at + 1 + Math.floor(rnd() * 600))]);
    }
    try {
      analyzeLayers(await indexImageStream(chunked(mutated, 1 + Math.floor(rnd() * 5000)), 'fuzz', `fuzz seed ${seed}`, 'docker-archive', { platform: parsePlatform('linux/amd64') }));
      successes++;
    } catch (err) {
      assert.ok(err instanceof BadInputError, `seed ${seed} (mode ${mode}): ${(err as Error).stack}`);
      failures++;
    }
  }
  assert.ok(failures > 150, `most mutations must be caught (${failures} failed, ${successes} read)`);
});

test('content refs: files of uncompressed archives and blobs can be read back by byte range; gzip blobs have none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-refs-'));
  try {
    const archivePath = join(dir, 'image.tar');
    writeFileSync(archivePath, dockerArchive(image));
    const fromFile = await indexArchiveFile(archivePath);
    writeDir(join(dir, 'plain'), ociFiles([{ image, platform: { os: 'linux', architecture: 'amd64' } }], (b) => b));
    const fromPlainOci = await indexOciLayout(join(dir, 'plain'), { platform: parsePlatform('linux/amd64') });
    let checked = 0;
    for (const idx of [fromFile, fromPlainOci]) {
      for (const e of idx.layers.flatMap((l) => l.entries).filter((x) => x.type === 'file')) {
        const parts: Buffer[] = [];
        for await (const c of openContent(e)!) parts.push(c);
        assert.equal(sha256(Buffer.concat(parts)), e.digest, e.path);
        checked++;
      }
    }
    assert.equal(checked, 6);
    writeDir(join(dir, 'gz'), ociFiles([{ image, platform: { os: 'linux', architecture: 'amd64' } }]));
    const gz = await indexOciLayout(join(dir, 'gz'), { platform: parsePlatform('linux/amd64') });
    assert.equal(openContent(gz.layers[0]!.entries.find((e) => e.type === 'file')!), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('forEachLayerMember streams each layer member of an image archive with file bodies (second pass for writers)', async () => {
  const seen: string[] = [];
  await forEachLayerMember(chunked(gzipSync(dockerArchive(image)), 1000), 'gz archive', async (member, entries) => {
    for await (const e of entries) {
      let text = '';
      if (e.body) for await (const c of e.body) text += c.toString();
      seen.push(`${member.endsWith('/layer.tar') ? 'layer' : member}:${e.type}:${e.path}:${text}`);
    }
  });
  assert.deepEqual(seen, [
    'layer:dir:etc:', 'layer:file:etc/a:aaaa', 'layer:file:etc/b:bbbbbbbb', 'layer:hardlink:etc/c:',
    'layer:dir:etc:', 'layer:whiteout:etc/a:', 'layer:file:etc/b:bbbbbbbb',
  ]);
});
