/** doctor and analyze raise image/layer-depth alike: one id, title, severity bounds and fix for the same depth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeIndexedImage } from '../../src/analyze/analyze-image.js';
import { TestClock } from '../../src/clock.js';
import { imageChecks } from '../../src/doctor/image-checks.js';
import type { DoctorFacts } from '../../src/doctor/facts.js';
import { indexImageStream } from '../../src/image/archive-source.js';
import { chunked, dockerArchive, layerTar } from '../support/image-archives.js';

async function imageOf(depth: number) {
  const layers = Array.from({ length: depth }, (_, i) => layerTar([{ entry: { path: `f${i}`, type: 'file' as const }, content: Buffer.from(`${i}\n`) }]));
  const history = layers.map((_, i) => ({ createdBy: `COPY f${i} /f${i} # buildkit` }));
  return indexImageStream(chunked(dockerArchive({ layers, history })), 'fake', 'fake', 'docker-archive');
}

for (const [depth, severity] of [[101, 'warn'], [121, 'error']] as const) {
  test(`${depth} layers: doctor and analyze give the same ${severity} finding`, async () => {
    const fromAnalyze = analyzeIndexedImage(await imageOf(depth), {}, { clock: new TestClock() }).findings.find((f) => f.id === 'image/layer-depth');
    const facts = { imageDepths: [{ id: 'sha256:abc', tags: ['fake/image:latest'], layers: depth }] } as unknown as DoctorFacts;
    const fromDoctor = imageChecks(facts);
    assert.ok(fromAnalyze);
    assert.equal(fromDoctor.length, 1);
    const d = fromDoctor[0]!;
    assert.equal(d.id, fromAnalyze.id);
    assert.equal(d.severity, severity);
    assert.equal(fromAnalyze.severity, severity);
    assert.equal(d.title, fromAnalyze.title);
    assert.match(d.title, new RegExp(`^${depth} layers: .*deeper than 125\\)$`));
    assert.equal(d.fix!.summary, fromAnalyze.fix!.summary);
    for (const f of [d, fromAnalyze]) assert.equal(f.evidence.find((e) => e.label === 'layers')?.value, depth);
    assert.deepEqual(d.fix!.commands, ['stowage analyze fake/image:latest']);
  });
}

test('under 100 layers neither raises it, unless analyze is given a lower ceiling', async () => {
  const image = await imageOf(99);
  assert.ok(!analyzeIndexedImage(image, {}, { clock: new TestClock() }).findings.some((f) => f.id === 'image/layer-depth'));
  const facts = { imageDepths: [{ id: 'sha256:abc', tags: [], layers: 99 }] } as unknown as DoctorFacts;
  assert.deepEqual(imageChecks(facts), []);
  const capped = analyzeIndexedImage(image, { thresholds: { highestLayers: 50 } }, { clock: new TestClock() }).findings.find((f) => f.id === 'image/layer-depth');
  assert.equal(capped?.severity, 'error');
  assert.equal(capped?.evidence.find((e) => e.label === 'threshold')?.value, 50);
});
