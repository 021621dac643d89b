import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeIndexedImage } from '../../src/analyze/analyze-image.js';
import { TestClock } from '../../src/clock.js';
import { indexImageStream } from '../../src/image/archive-source.js';
import { instructionOf, mapHistory } from '../../src/image/image-index.js';
import { chunked, dockerArchive, layerTar } from '../support/image-archives.js';

const N = 12;
const SIZE = 1000;
const files = Array.from({ length: N }, (_, i) => ({ entry: { path: `app/f${i}`, type: 'file' as const }, content: Buffer.alloc(SIZE, i) }));
const chowned = files.map((x) => ({ ...x, entry: { ...x.entry, uid: 1000, gid: 1000 } }));

async function fixture() {
  const archive = dockerArchive({
    layers: [
      layerTar([{ entry: { path: 'app', type: 'dir' } }, ...files, { entry: { path: 'tmp.log', type: 'file' }, content: Buffer.alloc(5000, 9) }]),
      layerTar([{ entry: { path: 'app', type: 'dir', uid: 1000, gid: 1000 } }, ...chowned]),
      layerTar([{ entry: { path: 'tmp.log', type: 'whiteout' } }]),
    ],
    history: [
      { createdBy: 'COPY app/ /app/ # buildkit' },
      { createdBy: 'ENV X=1', empty: true },
      { createdBy: 'RUN /bin/sh -c chown -R 1000:1000 /app # buildkit' },
      { createdBy: 'RUN /bin/sh -c rm /tmp.log # buildkit' },
    ],
  });
  return indexImageStream(chunked(archive), 'fake', 'fake', 'docker-archive');
}

test('chown -R over N files of known size: metadata-only and wasted bytes are exact, efficiency follows', async () => {
  const r = analyzeIndexedImage(await fixture(), {}, { clock: new TestClock() });
  assert.equal(r.totals.bytes, 2 * N * SIZE + 5000);
  assert.equal(r.totals.metadataOnlyBytes, N * SIZE);
  assert.equal(r.totals.metadataOnlyFiles, N);
  assert.equal(r.totals.wastedBytes, N * SIZE + 5000);
  assert.equal(r.totals.finalBytes, N * SIZE);
  assert.equal(r.totals.efficiency, (N * SIZE) / (2 * N * SIZE + 5000));
  assert.deepEqual(r.layers.map((l) => [l.added, l.modified, l.deleted]), [[N + 2, 0, 0], [0, N + 1, 0], [0, 0, 1]]);
  assert.deepEqual(r.layers.map((l) => l.instruction), ['COPY app/ /app/', 'RUN chown -R 1000:1000 /app', 'RUN rm /tmp.log']);
  assert.deepEqual(r.depthProfile.map((x) => [x.layer, x.depthFromTop, x.share]), [[0, 3, 0], [1, 2, 1], [2, 1, 0]]);
  assert.equal(r.offenders.paths[0]!.path, '/tmp.log');
  const meta = r.findings.find((f) => f.id === 'image/metadata-copy')!;
  assert.equal(meta.severity, 'warn');
  assert.match(meta.fix!.summary, /COPY --chown/);
  assert.equal(r.findings.find((f) => f.id === 'image/wasted-bytes')!.severity, 'warn');
});

test('thresholds turn findings into errors; paths list the files behind a figure', async () => {
  const image = await fixture();
  const r = analyzeIndexedImage(image, { thresholds: { lowestEfficiency: 0.9, highestWastedBytes: 1000, highestMetadataBytes: 100 }, paths: 'metadata-only', pathsLayer: 1 });
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map((f) => f.id).sort(), ['image/low-efficiency', 'image/metadata-copy', 'image/wasted-bytes']);
  assert.equal(r.paths!.entries.length, N);
  assert.equal(r.paths!.entries[0]!.detail, 'owner 0:0→1000:1000');
  const ok = analyzeIndexedImage(image, { thresholds: { lowestEfficiency: 0.1, highestWastedShare: 0.9 } });
  assert.ok(!ok.findings.some((f) => f.severity === 'error'));
  const deep = analyzeIndexedImage(image, { thresholds: { highestLayers: 2 } });
  assert.ok(deep.findings.some((f) => f.id === 'image/layer-depth'));
});

test('history: empty layers skipped, instructions read from classic and BuildKit created_by', () => {
  const h = (createdBy: string, emptyLayer = false) => ({ createdBy, emptyLayer });
  assert.deepEqual(mapHistory([h('a'), h('ENV', true), h('b')], 3).map((x) => x?.createdBy), ['a', 'b', undefined]);
  assert.equal(instructionOf(h('/bin/sh -c #(nop)  ENV PATH=/bin')), 'ENV PATH=/bin');
  assert.equal(instructionOf(h('/bin/sh -c apt-get update')), 'RUN apt-get update');
  assert.equal(instructionOf(h('|2 A=1 B=2 /bin/sh -c make')), 'RUN make');
  assert.equal(instructionOf(h('RUN |1 V=3 /bin/sh -c make # buildkit')), 'RUN make');
  assert.equal(instructionOf(h('COPY . /src # buildkit')), 'COPY . /src');
  assert.equal(instructionOf(undefined), '(no history)');
});
