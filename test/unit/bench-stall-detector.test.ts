/** Stall detection and attribution, driven by an injected clock and synthetic host samples: no sleeping. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StallDetector, attributeStall, samplesDuring, summariseSamples } from '../../src/measure/stall-detector.js';
import { stallEpisodes } from '../../src/measure/stall-episodes.js';
import { episodeFinding, stallRecord } from '../../src/bench/stall-findings.js';
import type { DeviceSample } from '../../src/measure/sampler.js';
import { TestClock } from '../../src/clock.js';

function sample(tMs: number, over: Partial<DeviceSample> = {}): DeviceSample {
  return {
    tMs, intervalMs: 1000, device: 'nvme1n1', readIops: 0, writeIops: 2800, readBytesPerSec: 0, writeBytesPerSec: 40e6,
    readAwaitMs: 0.3, writeAwaitMs: 1.2, utilPercent: 30, queueDepth: 1, iowaitPercent: 1, ioPressurePercent: 0, cpuBusyPercent: 20, blockedTasks: 0, blocked: [], ...over,
  };
}

describe('StallDetector', () => {
  it('flags an iteration slower than k x the rolling median, timed on the injected clock', () => {
    const clock = new TestClock();
    const detector = new StallDetector({ factor: 3, warmup: 5, minExcessMs: 250 });
    const durations = [3000, 3100, 2900, 3050, 2950, 3000, 82_000, 3000];
    const verdicts = durations.map((d) => {
      const start = clock.monotonic();
      clock.advance(d);
      return detector.observe(clock.monotonic() - start);
    });
    assert.deepEqual(verdicts.map((v) => v.stalled), [false, false, false, false, false, false, true, false]);
    assert.equal(verdicts[6]!.medianMs, 3000);
    assert.equal(verdicts[0]!.medianMs, undefined, 'no verdict during warm-up');
  });

  it('keeps stalls out of the median, so a throttled disk keeps stalling', () => {
    const detector = new StallDetector({ factor: 3, warmup: 3, window: 5, minExcessMs: 0 });
    for (const d of [100, 110, 90]) detector.observe(d);
    const later = [900, 950, 1000, 1000, 980, 990].map((d) => detector.observe(d));
    assert.ok(later.every((v) => v.stalled && v.medianMs === 100));
  });

  it('needs the absolute excess too: 40 ms -> 130 ms is jitter, not a stall', () => {
    const detector = new StallDetector({ factor: 3, warmup: 3, minExcessMs: 250 });
    for (const d of [40, 40, 40]) detector.observe(d);
    assert.equal(detector.observe(130).stalled, false);
    assert.equal(detector.observe(400).stalled, true);
  });

  it('drops the oldest durations from the window', () => {
    const detector = new StallDetector({ factor: 2, warmup: 2, window: 3, minExcessMs: 0 });
    for (const d of [10, 10, 10, 15, 18, 19]) assert.equal(detector.observe(d).stalled, false);
    // the window holds 15, 18, 19: 35 is under 2 x 18; over all six (median 12.5) it would be a stall
    const v = detector.observe(35);
    assert.equal(v.medianMs, 18);
    assert.equal(v.stalled, false);
  });

  it('rejects a factor that cannot mean "slower"', () => {
    assert.throws(() => new StallDetector({ factor: 1 }), RangeError);
  });
});

describe('stall attribution', () => {
  const healthy = [1, 2, 3, 4, 5].map((s) => sample(s * 1000));
  it('await up and IOPS pinned low is a throttled disk (the gp2 shape)', () => {
    const during = [6, 7, 8].map((s) => sample(s * 1000, {
      writeIops: 300, writeAwaitMs: 900, utilPercent: 100, iowaitPercent: 60, blockedTasks: 3, blocked: ['systemd-udevd[412] blk_mq_get_tag'],
    }));
    const a = attributeStall(summariseSamples(during), summariseSamples(healthy));
    assert.equal(a.cause, 'disk-throttled');
    assert.ok(a.clauses.some((c) => c.includes('write await on nvme1n1 rose to 900 ms')));
    assert.ok(a.clauses.some((c) => c.includes('IOPS fell to 300')));
  });

  it('await up with IOPS still high is a saturated disk', () => {
    const during = [6, 7].map((s, i) => sample(s * 1000, { writeIops: i ? 3200 : 1200, writeAwaitMs: 250, utilPercent: 100 }));
    assert.equal(attributeStall(summariseSamples(during), summariseSamples(healthy)).cause, 'disk-saturated');
  });

  it('a quiet disk points away from it', () => {
    const during = [6, 7].map((s) => sample(s * 1000, { writeIops: 40, writeAwaitMs: 0.5, utilPercent: 2 }));
    const a = attributeStall(summariseSamples(during), summariseSamples([sample(1000, { writeIops: 40 }), sample(2000, { writeIops: 44 })]));
    assert.equal(a.cause, 'not-disk');
  });

  it('tasks waiting with await low and IOPS fallen is a limit above the device', () => {
    const during = [6, 7].map((s) => sample(s * 1000, { writeIops: 20, writeAwaitMs: 0.8, blockedTasks: 1, blocked: ['dd[9] jbd2_log_wait_commit'], iowaitPercent: 50 }));
    const a = attributeStall(summariseSamples(during), summariseSamples(healthy));
    assert.equal(a.cause, 'disk-throttled');
    assert.match(a.note, /above the device/);
  });

  it('counts I/O pressure as waiting, which a 1 Hz look at task states can miss', () => {
    const during = [6, 7].map((s) => sample(s * 1000, { writeIops: 30, writeAwaitMs: 0.8, ioPressurePercent: 60 }));
    const a = attributeStall(summariseSamples(during), summariseSamples(healthy));
    assert.equal(a.cause, 'disk-throttled');
    assert.ok(a.clauses.some((c) => c.includes('60% of the time (PSI)')));
  });

  it('suspects the disk when IOPS collapse with nobody seen waiting and the CPU calm, not when the CPU got busy', () => {
    const calm = [6, 7].map((s) => sample(s * 1000, { writeIops: 100, writeAwaitMs: 0.8, cpuBusyPercent: 15 }));
    assert.equal(attributeStall(summariseSamples(calm), summariseSamples(healthy)).cause, 'disk-suspected');
    const busy = [6, 7].map((s) => sample(s * 1000, { writeIops: 100, writeAwaitMs: 0.8, cpuBusyPercent: 95 }));
    assert.equal(attributeStall(summariseSamples(busy), summariseSamples(healthy)).cause, 'not-disk');
  });

  it('picks the samples overlapping the iteration, or the next one for a short stall', () => {
    const samples = [1, 2, 3, 4].map((s) => sample(s * 1000));
    assert.deepEqual(samplesDuring(samples, 1500, 2600).map((s) => s.tMs), [2000, 3000]);
    assert.deepEqual(samplesDuring(samples, 3100, 3200).map((s) => s.tMs), [4000]);
    assert.deepEqual(samplesDuring(samples, 9000, 9500), []);
  });

  it('builds the record of one stalled start with the sentence and the host state', () => {
    const samples = [...healthy, ...[6, 7, 8].map((s) => sample(s * 1000, { writeIops: 300, writeAwaitMs: 900, blockedTasks: 2, iowaitPercent: 70 }))];
    const stall = stallRecord({ iteration: 4972, durationMs: 82_000, medianMs: 3000, phasesMs: { create: 100, start: 81_000, wait: 800, remove: 100 }, startedAtMs: 5200 },
      samples, summariseSamples(healthy));
    assert.equal(stall.cause, 'disk-throttled');
    assert.equal(stall.during?.writeAwaitMs, 900);
    assert.match(stall.sentence, /^start #4972 took 82\.0 s \(27\.3x the median 3\.00 s\) while write await on nvme1n1 rose to 900 ms .*IOPS fell to 300 .*: the disk was throttled$/);
  });

  it('says so when no sample covers the stall', () => {
    const stall = stallRecord({ iteration: 3, durationMs: 5000, medianMs: 500, phasesMs: {}, startedAtMs: 0 }, [], undefined);
    assert.equal(stall.cause, 'unknown');
  });
});

/**
 * Runs timed on the injected clock and judged by the detector, as the start loop does: `durations` in order,
 * each starting when the previous one ended.
 */
function judgedRuns(durations: number[], detector = new StallDetector({ factor: 3, warmup: 5, minExcessMs: 250 })) {
  const clock = new TestClock();
  return durations.map((d, i) => {
    const startedMs = clock.monotonic();
    clock.advance(d);
    const v = detector.observe(clock.monotonic() - startedMs);
    return { index: i + 1, startedMs, durationMs: d, stalled: v.stalled, medianMs: v.medianMs };
  });
}

describe('stall episodes', () => {
  // a disk that runs out of credits at #26 and stays throttled: 25 healthy starts of ~265 ms, 35 of ~3.5 s,
  // then 5 healthy again; the samples show loop0 capped near 50 IOPS with await low and a task in D state
  const durations = [
    ...Array.from({ length: 25 }, (_, i) => 255 + (i % 5) * 5),
    ...Array.from({ length: 35 }, (_, i) => 3400 + (i % 3) * 100),
    ...Array.from({ length: 5 }, () => 270),
  ];
  const runs = judgedRuns(durations);
  const throttledFrom = runs[25]!.startedMs;
  const throttledTo = runs[59]!.startedMs + runs[59]!.durationMs;
  const samples: DeviceSample[] = [];
  for (let t = 1000; t <= throttledTo + 3000; t += 1000) {
    const throttled = t > throttledFrom && t - 1000 < throttledTo;
    samples.push(sample(t, throttled
      ? { device: 'loop0', writeIops: 49 + (t / 1000) % 3, writeAwaitMs: 0.6, utilPercent: 4, blockedTasks: 1, blocked: ['dockerd[77] jbd2_log_wait_commit'], iowaitPercent: 30 }
      : { device: 'loop0', writeIops: 600 + (t / 1000) % 7 * 40, writeAwaitMs: 0.5 }));
  }
  const baseline = summariseSamples(samples.filter((s) => s.tMs <= throttledFrom));

  it('groups 35 consecutive stalled starts into one episode with one finding', () => {
    assert.equal(runs.filter((r) => r.stalled).length, 35, 'the detector flags each throttled start');
    const episodes = stallEpisodes(runs, samples, baseline);
    assert.equal(episodes.length, 1);
    const e = episodes[0]!;
    assert.deepEqual([e.first, e.last, e.runs.length], [26, 60, 35]);
    assert.equal(e.medianDurationMs, 3500);
    assert.equal(e.baselineMs, 265);
    assert.equal(e.fromMs, throttledFrom);
    assert.equal(e.toMs, throttledTo);
    assert.equal(e.cause, 'disk-throttled');
    const f = episodeFinding(e, e.runs.map(() => ({ create: 100, start: 3300, wait: 50, remove: 50 })));
    assert.equal(f.id, 'bench/start-stall');
    assert.match(f.title, /^from #26 to #60, 35 starts took 3\.50 s against a 265 ms median; loop0 capped at about 50 IOPS \(baseline \d+\) with await low \(0\.6 ms\), 1 task in D state .*: the disk was throttled above the device/);
    assert.deepEqual(f.subject, { kind: 'benchmark', id: 'start #26-#60' });
    assert.equal(f.evidence.find((x) => x.label === 'stalled starts')?.value, 35);
    assert.equal(f.evidence.find((x) => x.label === 'start phase (median)')?.value, 3300);
    assert.equal(f.severity, 'error', '13x the median');
    assert.ok(f.fix);
  });

  it('a healthy start ends an episode, a failed one does not', () => {
    const mixed = [
      { index: 1, startedMs: 0, durationMs: 2000, stalled: true, medianMs: 200 },
      { index: 2, startedMs: 2000, durationMs: 50, stalled: false, medianMs: 200, failed: true },
      { index: 3, startedMs: 2050, durationMs: 2100, stalled: true, medianMs: 200 },
      { index: 4, startedMs: 4150, durationMs: 210, stalled: false, medianMs: 200 },
      { index: 5, startedMs: 4360, durationMs: 5000, stalled: true, medianMs: 205 },
    ];
    const episodes = stallEpisodes(mixed, [], undefined);
    assert.deepEqual(episodes.map((e) => e.runs), [[1, 3], [5]]);
    assert.equal(episodes[0]!.cause, 'unknown');
    const single = episodeFinding(episodes[1]!, [{ create: 1, start: 4990, wait: 5, remove: 4 }]);
    assert.match(single.title, /^start #5 took 5\.00 s \(24\.4x the median 205 ms\) while no host samples covered it: no host samples to attribute it$/);
    assert.equal(single.severity, 'error');
    assert.deepEqual(single.subject, { kind: 'benchmark', id: 'start #5' });
    assert.equal(single.fix, undefined, 'no disk fix without a disk cause');
  });

  it('no stalls, no episodes', () => {
    assert.deepEqual(stallEpisodes(judgedRuns([100, 110, 105, 100, 95, 100, 120]), [], undefined), []);
  });
});
