/**
 * Inputs for the report tests that the real commands cannot make in seconds: a bench build document whose
 * names try to break out of the HTML, and a 10,000-start bench timeline with stalls. Both are checked
 * against the published schemas before use, so they are documents stowage could have written.
 */

const HOSTILE = '<script>alert(1)</script>"\'&</title></svg>';

function meta(command: string) {
  return { schemaVersion: 1, command, stowageVersion: '0.1.0', generatedAt: '2026-01-02T03:04:05.000Z' };
}

/** A bench build document with two runs whose Dockerfile names, step names and finding text hold markup. */
export function hostileBuildDocument() {
  const run = (dockerfile: string, steps: [string, number, boolean][], totalMs: number) => ({
    dockerfile, contextDir: `/tmp/ctx ${HOSTILE}`, builder: 'buildkit', builderNote: 'BuildKit (the engine default)', tag: `stowage-bench/x-${HOSTILE}`,
    imageId: `sha256:${'a'.repeat(64)}`, totalMs,
    steps: [{ name: '[internal] load build definition from Dockerfile', internal: true, cached: false, durationMs: 40 },
      ...steps.map(([name, durationMs, cached]) => ({ name, internal: false, cached, durationMs }))],
    imageSize: 12_345_678, layers: steps.length, dataRootGrowth: 23_456_789, rating: 'good', kept: false,
  });
  const slowStep = `[3/3] RUN chown -R app:app /app ${HOSTILE}`;
  return {
    ...meta('bench build'),
    result: {
      schemaVersion: 1,
      thresholds: { excellentMin: 1, goodMin: 5, acceptableMin: 15 },
      runs: [
        run(`Dockerfile.${HOSTILE}`, [['[1/3] FROM stowage-test/busybox:latest', 120, true], ['[2/3] COPY app/ /app/', 900, false], [slowStep, 41_000, false]], 43_000),
        run('Dockerfile.fixed', [['[1/2] FROM stowage-test/busybox:latest', 110, true], ['[2/2] COPY --chown=app:app app/ /app/', 1_500, false]], 1_800),
      ],
      comparison: { timeRatio: 0.0419, sizeRatio: 0.5, layerDelta: -1 },
      findings: [
        { id: 'bench/build-time', severity: 'info', title: `Dockerfile.${HOSTILE} built in 43 s`, evidence: [{ label: 'build time', value: 43_000, unit: 'ms' }], subject: { kind: 'dockerfile', id: `Dockerfile.${HOSTILE}` } },
        { id: 'bench/slow-build-step', severity: 'warn', title: `${slowStep} took 41 s, 95% of the build`,
          evidence: [{ label: 'step', value: slowStep }, { label: 'duration', value: 41_000, unit: 'ms' }, { label: 'share of the build', value: 95, unit: '%' }],
          fix: { summary: 'Set ownership as files arrive with COPY --chown.', commands: [`stowage lint Dockerfile.${HOSTILE}`] },
          subject: { kind: 'dockerfile', id: `Dockerfile.${HOSTILE}` } },
      ],
    },
  };
}

export const HOSTILE_TEXT = HOSTILE;

/** A long bench start: `n` starts of about 300 ms, with stalled stretches at `stallRuns` (1-based, consecutive runs form one episode). */
export function largeStartDocument(n: number, stallRuns: number[][]) {
  const stalled = new Set(stallRuns.flat());
  let t = 0;
  const iterations: { index: number; worker: number; startedMs: number; totalMs: number; phasesMs: Record<string, number>; exitCode: number; stall: boolean; medianMs: number }[] = [];
  for (let i = 1; i <= n; i++) {
    const totalMs = stalled.has(i) ? 4_000 + (i % 7) * 500 : 280 + ((i * 37) % 40);
    iterations.push({ index: i, worker: 0, startedMs: t, totalMs, phasesMs: { create: totalMs * 0.3, start: totalMs * 0.5, wait: totalMs * 0.1, remove: totalMs * 0.1 },
      exitCode: 0, stall: stalled.has(i), medianMs: 300 });
    t += totalMs + 2;
  }
  const samples: Record<string, unknown>[] = [];
  for (let s = 1000; s <= t; s += 1000) {
    samples.push({ tMs: s, intervalMs: 1000, device: 'vda', readIops: 5, writeIops: 40 + (s / 1000) % 13, readBytesPerSec: 1e4, writeBytesPerSec: 5e5, readAwaitMs: 0.5,
      writeAwaitMs: 1 + (s / 1000) % 3, utilPercent: 10, queueDepth: 0.2, iowaitPercent: 1, cpuBusyPercent: 5, blockedTasks: (s / 1000) % 17 === 0 ? 2 : 0, blocked: [] });
  }
  const byIndex = (i: number) => iterations[i - 1]!;
  const episodes = stallRuns.map((runs) => ({
    first: runs[0]!, last: runs[runs.length - 1]!, runs, fromMs: byIndex(runs[0]!).startedMs,
    toMs: byIndex(runs[runs.length - 1]!).startedMs + byIndex(runs[runs.length - 1]!).totalMs,
    medianDurationMs: 4_000, maxDurationMs: 7_000, baselineMs: 300, cause: 'disk-throttled', clauses: [], note: '', during: null, baseline: null,
  }));
  const totals = iterations.map((i) => i.totalMs).sort((a, b) => a - b);
  const q = (p: number) => totals[Math.min(totals.length - 1, Math.floor(p * totals.length))]!;
  const dist = { count: n, p50: q(0.5), p90: q(0.9), p99: q(0.99), min: totals[0]!, max: totals[totals.length - 1]!, mean: totals.reduce((a, b) => a + b, 0) / n };
  return {
    ...meta('bench start'),
    result: {
      schemaVersion: 1,
      image: 'stowage-test/busybox:latest', cmd: ['true'], concurrency: 1, startedAt: '2026-01-02T03:04:05.000Z',
      stallOptions: { factor: 3, window: 20, warmup: 3, minExcessMs: 500 }, sampleIntervalMs: 1000,
      device: { dataRoot: '/var/lib/docker', device: 'vda', fsType: 'ext4' },
      summary: { iterations: n, failed: 0, stalls: stalled.size, wallMs: t, containersPerMinute: (n / t) * 60_000, total: dist, phases: { create: dist, start: dist, wait: dist, remove: dist } },
      findings: episodes.map((e) => ({ id: 'bench/start-stall', severity: 'error', title: `starts #${e.first}-#${e.last} stalled`, evidence: [{ label: 'slowest', value: e.maxDurationMs, unit: 'ms' }],
        fix: { summary: 'Move data-root to a disk with provisioned IOPS.' }, subject: { kind: 'benchmark', id: `start #${e.first}-#${e.last}` } })),
      stalls: [...stalled].sort((a, b) => a - b).map((i) => ({ iteration: i, durationMs: byIndex(i).totalMs, medianMs: 300, cause: 'disk-throttled', sentence: 'the disk ran at its baseline', during: null, baseline: null })),
      cpu: { totalMs: 1000, samplerMs: 50 }, sampleCount: samples.length, iterations, samples, episodes, interrupted: false,
    },
  };
}

/** A bench disk document with a container comparison, its path holding markup. */
export function diskDocument() {
  const side = (scale: number, clock: string) => ({ ddOverheadMs: 3, syncWrite: { count: 10, p50Ms: 4.2 * scale, p99Ms: 9.8 * scale, maxMs: 10.1 * scale },
    smallWritesPerSec: 2_400 / scale, sequentialBytesPerSec: 310_000_000 / scale, clock });
  return {
    ...meta('bench disk'),
    result: {
      schemaVersion: 1,
      path: `/var/lib/docker ${HOSTILE}`, device: { dataRoot: '/var/lib/docker', device: 'vda', fsType: 'ext4' }, tool: 'built-in', toolDetail: 'fio is not installed',
      syncWrite: { writes: 10, blockBytes: 1_048_576, p50Ms: 4.2, p99Ms: 9.8, maxMs: 10.1, bytesPerSec: 180_000_000, percentiles: 'exact' },
      randomWrite: { iops: 2_400, blockBytes: 4_096, p99Ms: 2.5, method: 'O_DSYNC 4 kB writes' },
      sequentialWrite: { bytesPerSec: 310_000_000, method: '64 MiB with fdatasync' },
      comparison: { image: 'stowage-test/busybox:latest', writeLimit: undefined, method: 'dd in the container', host: side(1, 'in-probe'), container: side(4, 'in-probe'), upperDir: '/var/lib/docker/overlay2/x/diff',
        slowerBy: { syncP50: 4, syncP99: 4, smallWrites: 4, sequential: 4 } },
      findings: [{ id: 'bench/container-io-slower', severity: 'warn', title: 'I/O inside a container is 4.0x slower than on the host', evidence: [{ label: 'sync p50 inside', value: 16.8, unit: 'ms' }],
        fix: { summary: 'Give the container a volume on a fast disk.' }, subject: { kind: 'image', id: 'stowage-test/busybox:latest' } }],
    },
  };
}
