/** What bench start prints: the phase table, the host line, and only the slowest stalls in full. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CliContext } from '../../src/cli/cli-context.js';
import { renderStartText } from '../../src/render/bench-text.js';
import { distribution } from '../../src/stats.js';
import { DEFAULT_STALL_OPTIONS } from '../../src/measure/stall-detector.js';
import type { StallRecord } from '../../src/bench/stall-findings.js';
import type { StallEpisode } from '../../src/measure/stall-episodes.js';
import type { StartBenchResult } from '../../src/bench/start-loop.js';
import type { Finding } from '../../src/findings.js';
import { renderJson } from '../../src/render/json-document.js';
import { schemaValidator } from '../support/json-schema.js';

const ctx = new CliContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: { NO_COLOR: '1' } }, {});

function result(stallCount: number): StartBenchResult {
  const stalls: Finding[] = Array.from({ length: stallCount }, (_, i) => ({
    id: 'bench/start-stall', severity: 'warn', title: `start #${i + 10} took ${i + 2} s`,
    evidence: [{ label: 'iteration', value: i + 10 }, { label: 'duration', value: (i + 2) * 1000, unit: 'ms' }],
    subject: { kind: 'benchmark', id: `start #${i + 10}` },
  }));
  const records: StallRecord[] = Array.from({ length: stallCount }, (_, i) => ({
    iteration: i + 10, durationMs: (i + 2) * 1000, medianMs: 300,
    cause: 'disk-throttled', sentence: 'the disk was throttled', during: undefined, baseline: undefined,
  }));
  // separate episodes of one start each (a healthy start between them)
  const episodes: StallEpisode[] = records.map((r) => ({
    first: r.iteration, last: r.iteration, runs: [r.iteration], fromMs: 0, toMs: r.durationMs, medianDurationMs: r.durationMs,
    maxDurationMs: r.durationMs, baselineMs: 300, cause: 'disk-throttled', clauses: [], note: '', during: undefined, baseline: undefined,
  }));
  const d = distribution([300, 310, 320]);
  return {
    schemaVersion: 1,
    image: 'fedora', cmd: ['date'], concurrency: 1, startedAt: '2026-11-23T00:00:00.000Z', stallOptions: DEFAULT_STALL_OPTIONS,
    sampleIntervalMs: 1000,
    device: { dataRoot: '/var/lib/docker', mountPoint: '/var/lib/docker', fsType: 'xfs', device: 'nvme1n1', majorMinor: '259:1', chain: 'nvme1n1', disk: undefined },
    samplerNote: undefined,
    summary: { iterations: 3 + stallCount, failed: 0, stalls: stallCount, wallMs: 5000, containersPerMinute: 36, total: d, phases: { create: d, start: d, wait: d, remove: d } },
    sampleCount: 0, host: undefined, burst: undefined, findings: stalls, stalls: records, episodes, interrupted: false, cpu: { totalMs: 10, samplerMs: 1 },
  };
}

describe('bench start text', () => {
  it('prints the phase table under a one-line header', () => {
    const text = renderStartText(result(0), ctx.style);
    const lines = text.split('\n');
    assert.equal(lines[0], 'bench start: 3 containers of fedora (date), concurrency 1, 5.00 s');
    assert.equal(lines[1], 'data-root /var/lib/docker on nvme1n1 (xfs)');
    assert.match(text, /^phase\s+p50\s+p90\s+p99\s+max\s+mean$/m);
    assert.match(text, /^total\s+310 ms\s+318 ms\s+320 ms\s+320 ms\s+310 ms$/m);
    assert.match(text, /stalls: 0 \(over 3x the rolling median\)/);
  });

  it('shows the five slowest stalls and counts the rest', () => {
    const text = renderStartText(result(8), ctx.style);
    const shown = [...text.matchAll(/^WARN\s+start #(\d+)/gm)].map((m) => Number(m[1]));
    assert.deepEqual(shown.sort((a, b) => a - b), [13, 14, 15, 16, 17]);
    assert.match(text, /… and 3 more stall episodes \(all of them in --json and --out\)/);
  });

  it('--json with stall episodes validates against the schema', () => {
    const doc = JSON.parse(renderJson('bench start', result(3)));
    assert.deepEqual(schemaValidator('bench-start.schema.json')(doc), []);
    assert.equal(doc.result.episodes.length, 3);
    assert.equal(doc.result.interrupted, false);
  });
});
