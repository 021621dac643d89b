/**
 * Docker is the oracle: the union filesystem analyze computes for a fixture image must equal `docker export`
 * of a container created from it, read by Python's tarfile (never by stowage's own tar reader), whichever source read the layers (overlay2 directories, the engine's
 * export stream, a `docker save` archive). Known fixtures also have their figures asserted exactly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { CLASSIC_BUILD, describeExport, describeUnion, differences, exportWithPython } from '../support/export-oracle.js';
import { createHash } from 'node:crypto';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import { openContent } from '../../src/image/content-ref.js';
import { indexEngineImage } from '../../src/image/engine-source.js';
import { indexArchiveFile } from '../../src/image/archive-source.js';
import type { ImageIndex } from '../../src/image/image-index.js';
import { tarBuffer } from '../../src/image/tar-writer.js';
import { analyzeIndexedImage, type AnalyzeResult } from '../../src/analyze/analyze-image.js';
import { analyzeLayers } from '../../src/analyze/layer-analysis.js';

/** stowage's union of an indexed image, described like the oracle's export. */
function unionOf(image: ImageIndex): Map<string, string> {
  return describeUnion(analyzeLayers(image).tree.files());
}

function assertSameUnion(actual: Map<string, string>, expected: Map<string, string>, label: string): void {
  assert.deepEqual(differences(expected, actual), [], `${label}: union differs from docker export (read by Python's tarfile)`);
}

interface Fixture {
  name: string;
  dockerfile: string;
  files?: Record<string, string | Buffer>;
  /** Exact figures this fixture must produce. */
  check?: (r: AnalyzeResult, base: AnalyzeResult) => void;
}

const KB4 = 4096;
const chownFiles: Record<string, Buffer> = {};
for (let i = 0; i < 10; i++) chownFiles[`app/f${i}.bin`] = Buffer.alloc(KB4, i + 1);
for (let i = 0; i < 5; i++) chownFiles[`app/sub/s${i}.txt`] = Buffer.alloc(1000, 65 + i);

/** cap_net_raw+ep as the kernel stores it (VFS_CAP_REVISION_2), what `setcap cap_net_raw+ep` writes. */
const CAP_NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');

/** A tar that ADD extracts with its xattr, so the image gets a file with a capability. */
function capsTar(): Buffer {
  return tarBuffer([
    { header: { name: 'opt/', typeflag: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 } },
    {
      header: { name: 'opt/ping', typeflag: '0', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, pax: { 'SCHILY.xattr.security.capability': CAP_NET_RAW } },
      content: Buffer.from('ping binary stand-in'),
    },
  ]);
}

const longDir = Array.from({ length: 5 }, (_, i) => `${String(i).repeat(60)}`).join('/');
const deepLines = Array.from({ length: 104 }, (_, i) => `COPY n${i % 8}.txt /deep/f${i % 20}.txt`);
const deepFiles: Record<string, string> = {};
for (let i = 0; i < 8; i++) deepFiles[`n${i}.txt`] = `content ${i} `.repeat(10 * (i + 1));

const FIXTURES: Fixture[] = [
  {
    name: 'chown-chmod',
    dockerfile: [
      'FROM stowage-test/busybox:latest',
      'COPY app/ /app/',
      'ENV APP=/app',
      'RUN chown -R 1000:1000 /app',
      'LABEL fixture=chown',
      'RUN chmod -R 0600 /app/sub/*',
    ].join('\n'),
    files: chownFiles,
    check: (r, base) => {
      assert.equal(r.layers.length, 4);
      const [, copy, chown, chmod] = r.layers;
      // BuildKit records `COPY app/ /app/`, the classic builder `COPY dir:<digest> in /app/`
      assert.match(copy!.instruction, /^COPY (app\/|dir:[0-9a-f]{64} in) \/app\//);
      assert.match(chown!.instruction, /^RUN chown -R 1000:1000 \/app$/);
      assert.match(chmod!.instruction, /^RUN chmod -R 0600 \/app\/sub\/\*$/);
      assert.equal(copy!.bytes, 10 * KB4 + 5 * 1000);
      assert.deepEqual([chown!.metadataOnly.files, chown!.metadataOnly.bytes], [15, 10 * KB4 + 5 * 1000]);
      assert.equal(chown!.metadataOnly.changes.owner, 15);
      assert.deepEqual([chmod!.metadataOnly.files, chmod!.metadataOnly.bytes], [5, 5000]);
      assert.equal(chmod!.metadataOnly.changes.mode, 5);
      assert.equal(r.totals.metadataOnlyBytes, 10 * KB4 + 5 * 1000 + 5000);
      // N-1 copies: the COPY's 15 files and the chown's 5 sub files are waste, the final copies are not.
      assert.equal(r.totals.wastedBytes, 10 * KB4 + 5 * 1000 + 5000);
      assert.equal(r.totals.finalBytes, base.totals.finalBytes + 10 * KB4 + 5 * 1000);
      assert.equal(r.totals.bytes, r.totals.finalBytes + r.totals.wastedBytes);
      assert.equal(r.image.emptyLayerInstructions, 2);
      assert.deepEqual(r.findings.filter((f) => f.id === 'image/metadata-copy').map((f) => f.subject.id.replace(/.* /, '')), ['2', '3']);
    },
  },
  {
    name: 'delete-opaque-links',
    dockerfile: [
      'FROM stowage-test/busybox:latest',
      'RUN mkdir -p /data/keep /data/gone && head -c 3000 /dev/urandom > /data/gone/f1 && head -c 2000 /dev/urandom > /data/keep/k'
        + ' && head -c 1500 /dev/urandom > /data/keep/k2 && echo hi > /data/x && ln /data/x /data/x-link && ln -s ../data/x /data/sym'
        + ' && ln -s /nowhere /data/dangling',
      'RUN rm -rf /data/gone && rm /data/keep/k',
      'RUN rm -rf /data/keep && mkdir /data/keep && echo new > /data/keep/n',
      'RUN ln /data/x /data/x-link2',
    ].join('\n'),
    check: (r) => {
      const [, create, del, opaque, link] = r.layers;
      assert.equal(create!.bytes, 3000 + 2000 + 1500 + 3);
      assert.equal(del!.deleted, 3); // gone/, gone/f1, keep/k
      assert.equal(del!.wastedBytesCaused, 5000);
      assert.ok(opaque!.deleted >= 1);
      assert.equal(opaque!.wastedBytesCaused, 1500); // keep/k2 hidden by the opaque directory
      assert.equal(link!.unchangedCopies.files, 1); // /data/x copied up to be linked
      assert.equal(r.totals.wastedBytes, 6500);
      assert.equal(r.totals.bytes, r.totals.finalBytes + r.totals.wastedBytes);
    },
  },
  {
    name: 'names-xattrs',
    dockerfile: [
      'FROM stowage-test/busybox:latest',
      'ADD caps.tar /',
      `RUN mkdir -p "/n/sp ace" && echo a > "/n/sp ace/f i l e" && touch "/n/$(printf 'new\\nline')" && touch "/n/$(printf 'bad\\351name')"`
        + ` && mkdir -p /n/${longDir} && echo deep > /n/${longDir}/file-with-a-long-name.txt`,
      'ENV A=1 B=2',
    ].join('\n'),
    check: (r) => {
      assert.equal(r.layers.length, 3);
      assert.equal(r.image.emptyLayerInstructions, 1);
    },
  },
  {
    name: 'deep',
    dockerfile: ['FROM stowage-test/busybox:latest', ...deepLines].join('\n'),
    files: deepFiles,
    check: (r) => {
      assert.equal(r.layers.length, 105);
      assert.ok(r.findings.some((f) => f.id === 'image/layer-depth'));
      // every COPY after the first 20 overwrites an earlier copy of the same path
      const copies = deepLines.map((_, i) => Buffer.byteLength(deepFiles[`n${i % 8}.txt`]!));
      const finalOf = new Map<number, number>();
      deepLines.forEach((_, i) => finalOf.set(i % 20, copies[i]!));
      const total = copies.reduce((a, b) => a + b, 0);
      const final = [...finalOf.values()].reduce((a, b) => a + b, 0);
      assert.equal(r.totals.wastedBytes, total - final);
    },
  },
];

describe('analyze against docker export', { timeout: 900_000 }, () => {
  const ctxDir = mkdtempSync(join(tmpdir(), 'stowage-oracle-'));
  const tags: string[] = [];
  const built = new Map<string, string>();
  let base: AnalyzeResult;

  before(async () => {
    await ensureBusybox();
    const engine = await connectEngine();
    base = analyzeIndexedImage((await indexEngineImage(engine, 'stowage-test/busybox:latest')).image);
    for (const f of FIXTURES) {
      const tag = `${uniqueName(`stowage-test/analyze-${f.name}`)}:latest`;
      tags.push(tag);
      const files = { ...(f.files ?? {}) };
      if (f.name === 'names-xattrs') files['caps.tar'] = capsTar();
      await buildImage(tag, f.dockerfile, files, CLASSIC_BUILD);
      built.set(f.name, tag);
    }
  });

  after(async () => {
    await removeImages(tags);
    rmSync(ctxDir, { recursive: true, force: true });
  });

  for (const f of FIXTURES) {
    test(`${f.name}: overlay2 direct read, export stream and docker save archive all equal docker export`, async () => {
      const tag = built.get(f.name)!;
      const expected = describeExport(await exportWithPython(tag));
      const engine = await connectEngine();
      const direct = await indexEngineImage(engine, tag, 'direct', undefined, 'all');
      const lazy = await indexEngineImage(engine, tag, 'direct');
      assert.equal(direct.via, 'overlay2');
      assertSameUnion(unionOf(direct.image), expected, 'overlay2');
      const streamed = await indexEngineImage(engine, tag, 'export');
      assert.equal(streamed.via, 'engine-export');
      assertSameUnion(unionOf(streamed.image), expected, 'engine export');
      const archive = join(ctxDir, `${f.name}.tar`);
      await docker(['save', '-o', archive, tag]);
      const fromArchive = await indexArchiveFile(archive);
      assertSameUnion(unionOf(fromArchive), expected, 'docker-archive');
      await pipeline(createReadStream(archive), createGzip(), createWriteStream(`${archive}.gz`));
      assertSameUnion(unionOf(await indexArchiveFile(`${archive}.gz`)), expected, 'docker-archive.gz');
      // Writers read final files back through content refs: they must give the bytes Docker has.
      const digestOf = new Map([...analyzeLayers(direct.image).tree.files()].map((x) => [x.path, x.digest]));
      for (const idx of [lazy.image, fromArchive]) {
        const { tree } = analyzeLayers(idx);
        for (const file of tree.files()) {
          if (file.type !== 'file') continue;
          const node = tree.get(file.path)!;
          const hash = createHash('sha256');
          for await (const c of openContent(node.inode!.entry)!) hash.update(c);
          assert.equal(`sha256:${hash.digest('hex')}`, digestOf.get(file.path), `${idx.source.kind} ${file.path}`);
        }
      }
      // The figures do not depend on the source.
      const a = analyzeIndexedImage(lazy.image);
      const b = analyzeIndexedImage(fromArchive);
      assert.deepEqual(
        a.layers.map((l) => [l.instruction, l.bytes, l.files, l.added, l.modified, l.deleted, l.metadataOnly.bytes, l.wastedBytes, l.finalBytes]),
        b.layers.map((l) => [l.instruction, l.bytes, l.files, l.added, l.modified, l.deleted, l.metadataOnly.bytes, l.wastedBytes, l.finalBytes]),
      );
      f.check?.(b, base);
      rmSync(archive, { force: true });
      rmSync(`${archive}.gz`, { force: true });
    });
  }

  test('names with spaces, newlines, non-UTF-8 bytes, >255-byte paths and a capability xattr survive', async () => {
    const engine = await connectEngine();
    const { image } = await indexEngineImage(engine, built.get('names-xattrs')!, 'export');
    const paths = [...analyzeLayers(image).tree.files()];
    const byPath = new Map(paths.map((p) => [p.path, p]));
    assert.ok(byPath.has('n/sp ace/f i l e'));
    assert.ok(byPath.has('n/new\nline'));
    assert.ok(byPath.has('n/bad\xe9name'));
    assert.ok(paths.some((p) => p.path.length > 255));
    const cap = byPath.get('opt/ping')?.xattrs?.['security.capability'];
    assert.ok(cap, 'opt/ping has security.capability');
    assert.deepEqual(cap, CAP_NET_RAW);
  });
});
