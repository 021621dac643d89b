/**
 * bench build's pure parts: BuildKit trace decoding on a recorded stream (checked against protoc's own
 * decoding of the same bytes), classic step timing, ratings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BuildkitSteps, ClassicSteps, decodeStatusResponse } from '../../src/bench/build-steps.js';
import { buildFindings, DEFAULT_BUILD_THRESHOLDS, rateBuild, type BuildRun } from '../../src/bench/build-bench.js';

const recorded = readFileSync(fileURLToPath(new URL('../../../test/samples/bench/buildkit-build.ndjson', import.meta.url)), 'utf8')
  .split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Encodes a protobuf varint field / length-delimited field, to build messages the decoder must read back. */
const varint = (n: number): number[] => { const out: number[] = []; do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 128; out.push(b); } while (n); return out; };
const field = (no: number, payload: number[] | string | number): number[] => {
  if (typeof payload === 'number') return [...varint(no * 8), ...varint(payload)];
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
  return [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes];
};
const ts = (seconds: number, nanos: number) => [...field(1, seconds), ...field(2, nanos)];

describe('BuildKit trace', () => {
  it('decodes a vertex with its name, cache flag and timestamps', () => {
    const vertex = [...field(1, 'sha256:abc'), ...field(2, 'sha256:in'), ...field(3, '[2/3] RUN make'), ...field(4, 1),
      ...field(5, ts(1_700_000_000, 250_000_000)), ...field(6, ts(1_700_000_012, 750_000_000))];
    const [v] = decodeStatusResponse(Uint8Array.from(field(1, vertex)));
    assert.equal(v?.digest, 'sha256:abc');
    assert.equal(v?.name, '[2/3] RUN make');
    assert.equal(v?.cached, true);
    assert.equal(v!.completedMs! - v!.startedMs!, 12_500);
  });

  it('folds the recorded stream of a 4-step build into steps in start order', () => {
    const steps = new BuildkitSteps();
    const traces = recorded.filter((m) => steps.push(m)).length;
    assert.ok(traces > 10);
    const names = steps.steps().filter((s) => !s.internal).map((s) => s.name);
    assert.deepEqual(names.filter((n) => /^\[\d\/4\]/.test(n)),
      ['[1/4] FROM docker.io/stowage-test/busybox:latest', '[2/4] RUN echo hi > /x', '[3/4] RUN sleep 1', '[4/4] RUN echo 2 > /y']);
    const sleep = steps.steps().find((s) => s.name === '[3/4] RUN sleep 1')!;
    assert.ok(sleep.durationMs! >= 1000, 'sleep 1 took at least a second');
    assert.ok(steps.steps().every((s) => s.durationMs !== undefined), 'every vertex completed');
    assert.equal(steps.push({ stream: 'Step 1/2 : FROM x' }), false);
  });

  it('gives each vertex of the recorded stream the name, cache flag and span that protoc --decode_raw reads in it', () => {
    const expected = protocSteps(recorded);
    const steps = new BuildkitSteps();
    for (const m of recorded) steps.push(m);
    const got = steps.steps();
    assert.equal(got.length, expected.size, 'one step per named vertex');
    for (const s of got) {
      const e = [...expected.values()].find((x) => x.name === s.name);
      assert.ok(e, `${s.name} is a vertex of the stream`);
      assert.equal(s.cached, e.cached, `${s.name}: cached`);
      // the span from its first start to its last completion (a vertex may run more than once)
      assert.ok(Math.abs(s.startedMs! - e.startedMs!) < 0.001, `${s.name}: started ${s.startedMs} against ${e.startedMs}`);
      assert.ok(Math.abs(s.completedMs! - e.completedMs!) < 0.001, `${s.name}: completed ${s.completedMs} against ${e.completedMs}`);
    }
    const started = got.map((s) => s.startedMs!);
    assert.deepEqual(started, [...started].sort((a, b) => a - b), 'in start order');
  });
});

interface ProtocVertex { name: string | undefined; cached: boolean; startedMs: number | undefined; completedMs: number | undefined }

/**
 * The vertices of BuildKit trace messages as protoc (the reference protobuf implementation) decodes them
 * without a schema: StatusResponse field 1 is a Vertex with digest 1, name 3, cached 4, started 5 and
 * completed 6 (google.protobuf.Timestamp: seconds 1, nanos 2).
 */
function protocSteps(messages: Record<string, unknown>[]): Map<string, ProtocVertex> {
  const vertices = new Map<string, ProtocVertex>();
  for (const m of messages) {
    if (m.id !== 'moby.buildkit.trace') continue;
    const text = execFileSync('protoc', ['--decode_raw'], { input: Buffer.from(m.aux as string, 'base64'), encoding: 'utf8' });
    for (const block of topLevelBlocks(text, '1')) {
      const digest = /^ {2}1: "(.*)"$/m.exec(block)![1]!;
      const name = /^ {2}3: "(.*)"$/m.exec(block)?.[1];
      const ts = (no: string) => {
        const t = new RegExp(`^ {2}${no} \\{\n {4}1: (\\d+)\n(?: {4}2: (\\d+)\n)? {2}\\}`, 'm').exec(block);
        return t ? Number(t[1]) * 1000 + Number(t[2] ?? 0) / 1e6 : undefined;
      };
      const started = ts('5');
      const completed = ts('6');
      const prev = vertices.get(digest) ?? { name: undefined, cached: false, startedMs: undefined, completedMs: undefined };
      vertices.set(digest, {
        name: name ?? prev.name,
        cached: prev.cached || /^ {2}4: 1$/m.test(block),
        startedMs: started === undefined ? prev.startedMs : Math.min(prev.startedMs ?? Infinity, started),
        completedMs: completed === undefined ? prev.completedMs : Math.max(prev.completedMs ?? -Infinity, completed),
      });
    }
  }
  for (const [digest, v] of vertices) if (!v.name) vertices.delete(digest);
  return vertices;
}

/** The bodies of the top-level `NO { ... }` groups of protoc's text output. */
function topLevelBlocks(text: string, no: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (depth === 0 && line === `${no} {`) { current = []; depth = 1; continue; }
    if (line.endsWith('{')) depth++;
    if (line.trim() === '}') depth--;
    if (depth === 0 && current) { blocks.push(current.join('\n')); current = undefined; continue; }
    if (current && depth > 0) current.push(line);
  }
  return blocks;
}

describe('classic builder steps', () => {
  it('times each step until the next starts and notes the cache', () => {
    const c = new ClassicSteps();
    c.push({ stream: 'Step 1/3 : FROM busybox\n' }, 0);
    c.push({ stream: ' ---> 23209f950d65\n' }, 5);
    c.push({ stream: 'Step 2/3 : COPY . /app\n' }, 10);
    c.push({ stream: ' ---> Using cache\n' }, 12);
    c.push({ stream: 'Step 3/3 : RUN chown -R app /app\n' }, 40);
    c.push({ stream: 'Successfully built 5f2a\n' }, 640);
    const steps = c.steps(700);
    assert.deepEqual(steps.map((s) => [s.name, s.durationMs, s.cached]), [
      ['FROM busybox', 10, false], ['COPY . /app', 30, true], ['RUN chown -R app /app', 600, false],
    ]);
  });
});

describe('build assessment', () => {
  it('rates by the configured thresholds', () => {
    assert.equal(rateBuild(90_000, DEFAULT_BUILD_THRESHOLDS), 'excellent');
    assert.equal(rateBuild(120_000, DEFAULT_BUILD_THRESHOLDS), 'good');
    assert.equal(rateBuild(9.9 * 60_000, DEFAULT_BUILD_THRESHOLDS), 'acceptable');
    assert.equal(rateBuild(10 * 60_000, DEFAULT_BUILD_THRESHOLDS), 'slow');
    assert.equal(rateBuild(90_000, { excellentMin: 1, goodMin: 2, acceptableMin: 3 }), 'good');
  });

  it('flags a step that dominates the build, with the chown fix for a recursive chown', () => {
    const run: BuildRun = {
      dockerfile: '/src/Dockerfile', contextDir: '/src', builder: 'buildkit', builderNote: 'BuildKit', tag: 't', imageId: 'sha256:x',
      totalMs: 700_000, imageSize: 1e9, layers: 26, dataRootGrowth: 2e9, rating: 'slow', kept: false,
      steps: [
        { name: '[2/3] COPY . /app', internal: false, cached: false, startedMs: 0, completedMs: 20_000, durationMs: 20_000, error: undefined },
        { name: '[3/3] RUN chown -R app:app /app', internal: false, cached: false, startedMs: 20_000, completedMs: 640_000, durationMs: 620_000, error: undefined },
        { name: '[internal] load build context', internal: true, cached: false, startedMs: 0, completedMs: 650_000, durationMs: 650_000, error: undefined },
      ],
    };
    const f = buildFindings(run, {}, DEFAULT_BUILD_THRESHOLDS);
    assert.equal(f[0]!.id, 'bench/build-time');
    assert.equal(f[0]!.severity, 'warn');
    const slow = f.filter((x) => x.id === 'bench/slow-build-step');
    assert.equal(slow.length, 1);
    assert.match(slow[0]!.title, /^\[3\/3\] RUN chown -R app:app \/app took 10\.3 min, 89% of the build$/);
    assert.match(slow[0]!.fix!.summary, /COPY --chown/);
  });
});

describe('slow steps and lint', () => {
  it('links a slow step to the lint findings on its instruction', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { lintFor } = await import('../../src/bench/build-bench.js');
    const dir = mkdtempSync(join(tmpdir(), 'stowage-lintfor-'));
    try {
      const file = join(dir, 'Dockerfile');
      writeFileSync(file, 'FROM busybox\nCOPY . /app\nRUN chown -R app:app /app\nRUN echo done\n');
      const linked = lintFor(file, '[3/4] RUN chown -R app:app /app');
      assert.ok(linked.some((f) => f.id === 'dockerfile/copy-then-chown'), JSON.stringify(linked.map((f) => f.id)));
      assert.ok(linked.every((f) => f.subject.range?.startLine === 3));
      assert.deepEqual(lintFor(file, '[4/4] RUN echo done').filter((f) => f.id === 'dockerfile/copy-then-chown'), []);
      assert.deepEqual(lintFor(join(dir, 'missing'), '[1/1] RUN x'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
