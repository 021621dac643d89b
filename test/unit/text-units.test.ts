/**
 * Issue 20, "numbers that do not add up": one plural helper, decimal units on every screen, and the two byte
 * figures of an image named for what they are (content bytes: files; tar bytes: the layer tars).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countBySeverity } from '../../src/findings.js';
import { count, formatBytes } from '../../src/units.js';
import { analyzeIndexedImage } from '../../src/analyze/analyze-image.js';
import { TestClock } from '../../src/clock.js';
import { indexImageStream } from '../../src/image/archive-source.js';
import { renderAnalyzeText } from '../../src/render/analyze-text.js';
import { renderFlattenText } from '../../src/render/flatten-text.js';
import { renderDoctorText } from '../../src/render/doctor-text.js';
import { makeStyle } from '../../src/render/style.js';
import { ioChecks } from '../../src/doctor/io-checks.js';
import { clutterChecks } from '../../src/doctor/clutter-checks.js';
import type { FlattenResult } from '../../src/flatten/flatten-image.js';
import type { DoctorFacts } from '../../src/doctor/facts.js';
import { chunked, dockerArchive, layerTar } from '../support/image-archives.js';
import { baseFacts } from './doctor-fixture.js';

const plain = makeStyle(false);
const BINARY = /\b\d+(\.\d+)? ?[KMGTP]iB\b/;

test('count: singular for exactly one, the plural otherwise, irregular plurals given', () => {
  assert.equal(count(1, 'layer'), '1 layer');
  assert.equal(count(0, 'layer'), '0 layers');
  assert.equal(count(2, 'instruction'), '2 instructions');
  assert.equal(count(1, 'copy', 'copies'), '1 copy');
  assert.equal(count(3, 'copy', 'copies'), '3 copies');
  assert.equal(count(1, 'opaque dir'), '1 opaque dir');
});

/** One layer of one file with an ENV before it: every count on analyze's summary line is 1. */
async function oneOfEach() {
  const archive = dockerArchive({
    layers: [layerTar([{ entry: { path: 'f', type: 'file' }, content: Buffer.alloc(3000, 1) }])],
    history: [{ createdBy: 'ENV X=1', empty: true }, { createdBy: 'COPY f /f # buildkit' }],
  });
  return analyzeIndexedImage(await indexImageStream(chunked(archive), 'one', 'one', 'docker-archive'), {}, { clock: new TestClock() });
}

test('analyze: "1 layer, 1 instruction", and the total is labelled content bytes (the files), not layer bytes', async () => {
  const r = await oneOfEach();
  const text = renderAnalyzeText(r, plain);
  assert.match(text, /^1 layer, 1 instruction without a layer; 1 path in the final filesystem$/m);
  assert.equal(r.totals.bytes, 3000);
  assert.match(text, new RegExp(`content bytes ${formatBytes(3000)}  final`));
  assert.match(text, /metadata-only 0 B in 0 files/);
  assert.doesNotMatch(text, /layer bytes|instructions without|\(s\)/);
  assert.doesNotMatch(text, BINARY);
  // the tar figure, shown beside the compressed one, carries its own name
  const withCompressed = renderAnalyzeText({ ...r, totals: { ...r.totals, compressedBytes: 900 } }, plain);
  assert.match(withCompressed, new RegExp(`compressed 900 B, tar bytes ${formatBytes(r.totals.tarBytes)}`));
  assert.ok(r.totals.tarBytes > r.totals.bytes, 'a tar is larger than the content it holds');
});

test('analyze: a metadata-only copy of one file says "1 unchanged file ... its owner"', async () => {
  const f = { entry: { path: 'f', type: 'file' as const }, content: Buffer.alloc(2_000_000, 1) };
  const archive = dockerArchive({
    layers: [layerTar([f]), layerTar([{ ...f, entry: { ...f.entry, uid: 1000, gid: 1000 } }])],
    history: [{ createdBy: 'COPY f /f # buildkit' }, { createdBy: 'RUN /bin/sh -c chown 1000 /f # buildkit' }],
  });
  const r = analyzeIndexedImage(await indexImageStream(chunked(archive), 'meta', 'meta', 'docker-archive'), {}, { clock: new TestClock() });
  const meta = r.findings.find((x) => x.id === 'image/metadata-copy');
  assert.ok(meta, 'the chown of one 2 MB file is reported');
  assert.match(meta.title, /copies 1 unchanged file only to change its owner$/);
  assert.match(renderAnalyzeText(r, plain), /^2 layers, 0 instructions without a layer; 1 path in the final filesystem$/m);
});

const flattened: FlattenResult = {
  schemaVersion: 1,
  input: { reference: 'app:1', source: 'engine', id: 'sha256:in', layers: 2, tarBytes: 476_000_000, bytes: 468_000_000, wastedBytes: 189_000_000 },
  output: { kind: 'engine', target: 'app:1-flat', id: 'sha256:out', layers: 2, tarBytes: 284_000_000, bytes: 279_000_000, wastedBytes: 0 },
  plan: { keep: 1, squashed: 1, mode: 'from-layer 1' },
  squashedLayer: { entries: 3, files: 1, bytes: 279_000_000, hardlinks: 1, whiteouts: 0, opaques: 1, tarBytes: 279_001_536 },
  wastedBytesRemoved: 189_000_000,
  contentVia: 'in-place',
  verification: { verified: false, checks: [], inputCheckedIndependently: false } as unknown as FlattenResult['verification'],
  timings: { readMs: 10, writeMs: 20, verifyMs: 0, totalMs: 30 },
};

test('flatten: tar bytes and content bytes are two rows with two names, and counts agree with their nouns', () => {
  const text = renderFlattenText(flattened, plain);
  assert.match(text, /^ {2}tar bytes +476 MB {2}-> {2}284 MB$/m);
  assert.match(text, /^ {2}content bytes +468 MB {2}-> {2}279 MB$/m);
  assert.doesNotMatch(text, /layer bytes/);
  assert.match(text, /from-layer 1: 1 layer kept, 1 squashed into one/);
  assert.match(text, /new layer {2}1 file \(279 MB\), 1 hardlink, 0 whiteouts, 1 opaque dir$/m);
  assert.doesNotMatch(text, /\(s\)/);
});

/** Ten 1 MiB O_DSYNC writes, the probe's default, all slow. */
const slowProbe: DoctorFacts['io'] = {
  windowMs: 1000, rates: [], iowaitPercent: 0, stuckTasks: [{ pid: 7, comm: 'dd', wchan: 'jbd2_log_wait_commit' }], blockedNow: 1, syncWriteError: undefined,
  syncWrite: { directory: '/var/lib/docker', writes: 10, blockBytes: 1024 * 1024, latenciesMs: Array(10).fill(700), totalMs: 7000, timedOut: false },
} as DoctorFacts['io'];

test('doctor: the sync-write probe in decimal units beside the free space, in the host picture and the finding', () => {
  const facts = baseFacts({ io: slowProbe });
  const findings = ioChecks(facts);
  const slow = findings.find((f) => f.id === 'io/slow-sync-write')!;
  assert.equal(slow.title, 'Sync writes to data-root are very slow: 10.5 MB with O_DSYNC took 7.0 s');
  assert.equal(findings.find((f) => f.id === 'io/stuck-tasks')!.title, '1 task stayed in uninterruptible I/O sleep (D state) through the sample window');
  const text = renderDoctorText({ schemaVersion: 1, groups: ['io'], durationMs: 5, findings, summary: countBySeverity(findings), failOn: 'error', facts }, plain);
  assert.match(text, /sync write 10\.5 MB in 7\.00 s/);
  assert.match(text, /writes completed: 10 of 10 x 1\.05 MB O_DSYNC/);
  // 10 x 1 MiB in 7 s: the throughput evidence in decimal units as well
  assert.match(text, /throughput: 1\.50 MB\/s$/m);
  assert.match(text, /^2 findings: 1 error, 1 warn, 0 info/m);
  assert.doesNotMatch(text, BINARY);
  assert.doesNotMatch(text, /\(s\)/);
});

test('doctor: clutter titles agree with one container and one volume', () => {
  const facts = baseFacts({
    containers: [{ id: 'c1', names: ['/gone'], state: 'exited', status: 'Exited (0) 1 hour ago' }],
    usage: {
      totals: { images: { count: 0, size: 0, reclaimable: 0 }, containers: { count: 1, size: 5, reclaimable: 5 }, volumes: { count: 1, size: 7, reclaimable: 7 }, buildCache: { count: 0, size: 0, reclaimable: 0, records: [] } },
      containers: [{ id: 'c1', names: ['/gone'], state: 'exited', sizeRw: 5_000_000 }],
      volumes: [{ name: 'v1', refCount: 0, size: 7_000_000 }],
      images: [],
      buildCache: [],
    },
  } as unknown as Partial<DoctorFacts>);
  const titles = clutterChecks(facts, Date.now()).map((f) => f.title);
  assert.ok(titles.includes('1 stopped container keeps its writable layer (5.00 MB)'), titles.join('\n'));
  assert.ok(titles.includes('1 volume is mounted by no container (7.00 MB)'), titles.join('\n'));
});
