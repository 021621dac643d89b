/** The burst-credit tracker and watch's predictions, on synthetic series stepped by an injected clock. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gp2Model } from '../../src/measure/burst-model.js';
import { CreditTracker, throttledAtBaseline } from '../../src/watch/credit-tracker.js';
import { chooseBurstModel } from '../../src/watch/burst-params.js';
import { runWatch, type WatchEvent, type WatchReading } from '../../src/watch/watch.js';
import { capabilityContext } from '../../src/context.js';
import { TestClock } from '../../src/clock.js';
import { UsageError } from '../../src/errors.js';
import { SimulatedVolume } from '../support/simulated-volume.js';

const GIB = 1024 ** 3;

describe('CreditTracker', () => {
  it('empties a full gp2 bucket of 100 GiB in 2,000 s at 3,000 IOPS', () => {
    const model = gp2Model(100 * GIB);
    assert.equal(model.baselineIops, 300);
    const t = new CreditTracker(model, 'test', { credits: model.bucketCredits });
    assert.equal(t.state(3000).secondsToExhaustion, 2000);
    for (let s = 0; s < 1999; s++) t.observe(1, 3000);
    assert.equal(t.state(3000).creditsLeft, 2700);
    assert.equal(t.state(3000).secondsToExhaustion, 1);
    t.observe(1, 3000);
    assert.equal(t.state(3000).creditsLeft, 0);
    assert.equal(t.state(3000).confidence, 'known');
  });

  it('refills under the baseline at (baseline - IOPS) per second, up to the bucket', () => {
    const model = gp2Model(100 * GIB);
    const t = new CreditTracker(model, 'test', { credits: 0 });
    for (let s = 0; s < 1000; s++) t.observe(1, 100);
    const st = t.state(100);
    assert.equal(st.creditsLeft, 200_000);
    assert.equal(st.secondsToExhaustion, null);
    assert.equal(st.secondsToFull, (5_400_000 - 200_000) / 200);
    for (let s = 0; s < 30_000; s++) t.observe(1, 0);
    assert.equal(t.state(0).creditsLeft, model.bucketCredits);
    assert.equal(t.state(0).secondsToFull, null);
  });

  it('started mid-way, says it does not know the level, and converges when a long refill fills any bucket', () => {
    const model = gp2Model(100 * GIB);
    const t = new CreditTracker(model, 'test');
    let st = t.state(0);
    assert.equal(st.confidence, 'assumed-full');
    assert.equal(st.confidenceRatio, 0);
    assert.match(st.confidenceNote, /not visible from the host/);
    for (let s = 0; s < 9000; s++) t.observe(1, 0);
    st = t.state(0);
    assert.equal(st.confidence, 'bounded');
    assert.equal(st.creditsLowerBound, 2_700_000);
    assert.ok(Math.abs(st.confidenceRatio - 0.5) < 1e-9);
    for (let s = 0; s < 9000; s++) t.observe(1, 0);
    assert.equal(t.state(0).confidence, 'known');
  });

  it('takes the IOPS ceiling at the baseline while I/O waits as an empty bucket', () => {
    const model = gp2Model(100 * GIB);
    const pinned = Array.from({ length: 30 }, (_, i) => ({ iops: 290 + (i % 3) * 10, blockedTasks: 1, iowaitPercent: 20, ioPressurePercent: 40, queueDepth: 4 }));
    assert.equal(throttledAtBaseline(model, pinned, 30), true);
    assert.equal(throttledAtBaseline(model, pinned.slice(1), 30), false, 'needs the whole window');
    const idle = pinned.map((s) => ({ ...s, blockedTasks: 0, iowaitPercent: 0, ioPressurePercent: 0, queueDepth: 0.1 }));
    assert.equal(throttledAtBaseline(model, idle, 30), false, 'a light load at the baseline rate is not a ceiling');
    const burst = pinned.map((s, i) => (i === 10 ? { ...s, iops: 2900 } : s));
    assert.equal(throttledAtBaseline(model, burst, 30), false, 'one second at the burst rate says the bucket is not empty');
    const t = new CreditTracker(model, 'test');
    t.observeThrottled(true);
    const st = t.state(300);
    assert.equal(st.creditsLeft, 0);
    assert.equal(st.confidence, 'known');
    assert.equal(st.exhaustedObserved, true);
  });
});

describe('chooseBurstModel', () => {
  const ebs = { name: 'nvme1n1', sizeBytes: 100 * GIB, rotational: false, scheduler: 'none', model: 'Amazon Elastic Block Store', vendor: undefined, serial: 'vol0abc' };
  it('models an EBS volume as gp2 by its size under auto, and names no model for an unknown disk', () => {
    const m = chooseBurstModel({ model: 'auto' }, ebs);
    assert.ok('model' in m && m.model.baselineIops === 300);
    const plain = chooseBurstModel({ model: 'auto' }, { ...ebs, model: 'QEMU HARDDISK' });
    assert.ok('none' in plain && /not a cloud volume/.test(plain.none));
  });
  it('takes a size for gp2, tiers for Azure, and three numbers for custom', () => {
    const gp2 = chooseBurstModel({ model: 'gp2', sizeBytes: 20 * GIB }, undefined);
    assert.ok('model' in gp2 && gp2.model.baselineIops === 100, 'gp2 never goes under 100 IOPS');
    const p10 = chooseBurstModel({ model: 'azure-premium', sizeBytes: 128 * GIB }, undefined);
    assert.ok('model' in p10 && p10.model.baselineIops === 500 && p10.model.burstIops === 3500 && p10.model.fullBurstSeconds === 1800);
    const big = chooseBurstModel({ model: 'gp2', sizeBytes: 1000 * GIB }, undefined);
    assert.ok('none' in big, 'a 1,000 GiB gp2 volume does not burst');
    const c = chooseBurstModel({ model: 'custom', baselineIops: 100, burstIops: 1100, bucketCredits: 60_000 }, undefined);
    assert.ok('model' in c && c.model.fullBurstSeconds === 60);
    assert.throws(() => chooseBurstModel({ model: 'custom', baselineIops: 100 }, undefined), UsageError);
    assert.throws(() => chooseBurstModel({ model: 'gp2' }, undefined), /needs --size/);
  });
});

/** Runs watch at 1 Hz on a simulated volume for `seconds`, autoadvancing the clock; returns its events. */
async function watchSimulated(volume: (now: () => number) => SimulatedVolume, seconds: number) {
  const clock = new TestClock({ autoAdvance: true });
  const sim = volume(() => clock.monotonic());
  const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
  const events: { t: number; e: WatchEvent; delivered: number }[] = [];
  try {
    const result = await runWatch({
      dataRoot: dir, device: 'sim0', readings: seconds, hostFs: sim.hostFs(),
      onEvent: (e) => events.push({ t: clock.monotonic() / 1000, e, delivered: sim.delivered }),
    }, capabilityContext({ clock }));
    return { events, result, sim };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const raised = (events: { t: number; e: WatchEvent; delivered: number }[], id: string, state = 'raised') =>
  events.filter((x) => x.e.type === 'finding' && x.e.state === state && x.e.finding.id === id);
const readingAt = (events: { t: number; e: WatchEvent }[], t: number) =>
  (events.find((x) => x.e.type === 'reading' && x.t >= t)!.e as { reading: WatchReading }).reading;

describe('runWatch on a simulated gp2 volume of 100 GiB (injected clock)', () => {
  const base = { name: 'sim0', sizeBytes: 100 * GIB, baselineIops: 300, burstIops: 3000, bucketCredits: 5_400_000 };

  it('predicts exhaustion 30 min ahead while I/O is still fast, then sees the bucket empty, then the refill', async () => {
    const { events } = await watchSimulated((now) => new SimulatedVolume({ ...base, startCredits: 5_400_000, now, demand: (t) => (t < 2500 ? 3000 : 100) }), 3000);
    const start = events[0]!.e;
    assert.equal(start.type, 'start');
    assert.equal(start.type === 'start' && start.target.burst?.model, 'gp2', 'the EBS identity picks gp2 by size');

    const predicted = raised(events, 'watch/exhaustion-predicted');
    assert.equal(predicted.length, 1);
    // 2,000 s of credits at 3,000 IOPS; the 30-minute horizon is reached 200 s in
    assert.ok(predicted[0]!.t >= 195 && predicted[0]!.t <= 206, `raised at ${predicted[0]!.t} s`);
    assert.equal(predicted[0]!.delivered, 3000, 'while the volume still bursts');
    const f = predicted[0]!.e.type === 'finding' ? predicted[0]!.e.finding : undefined;
    assert.match(f!.title, /sim0 runs out of burst credits in at most 30.0 min at the current 3000 IOPS; then I\/O drops to the 300 IOPS baseline \(10x slower\)/);

    const early = readingAt(events, 1000).credits!;
    assert.ok(Math.abs(early.secondsToExhaustion! - 1000) <= 3, `${early.secondsToExhaustion} s left at t=1000`);
    assert.equal(early.confidence, 'bounded');

    const exhausted = raised(events, 'watch/credits-exhausted');
    assert.equal(exhausted.length, 1);
    assert.ok(exhausted[0]!.t >= 2000 && exhausted[0]!.t <= 2040, `exhausted raised at ${exhausted[0]!.t} s`);
    assert.equal(raised(events, 'watch/exhaustion-predicted', 'cleared')[0]!.t, exhausted[0]!.t, 'the prediction gives way to the fact');
    const after = readingAt(events, 2100).credits!;
    assert.equal(after.creditsLeft, 0);
    assert.equal(after.confidence, 'known');

    assert.ok(raised(events, 'watch/credits-exhausted', 'cleared')[0]!.t > 2500, 'cleared once the load drops under the baseline');
    const refill = readingAt(events, 2999).credits!;
    // 100 IOPS under a 300 IOPS baseline: 200 credits a second for the last ~500 s
    assert.ok(Math.abs(refill.creditsLeft - 200 * (2999 - 2500)) <= 200 * 3, `${refill.creditsLeft} credits after the refill`);
    assert.equal(refill.secondsToExhaustion, null);
  });

  it('started on a half-empty bucket, predicts late but converges to empty from the ceiling it observes', async () => {
    const { events } = await watchSimulated((now) => new SimulatedVolume({ ...base, startCredits: 2_700_000, now, demand: () => 3000 }), 1100);
    const exhausted = raised(events, 'watch/credits-exhausted');
    assert.equal(exhausted.length, 1);
    assert.ok(exhausted[0]!.t >= 1000 && exhausted[0]!.t <= 1040, `exhausted at ${exhausted[0]!.t} s`);
    const before = readingAt(events, 900).credits!;
    assert.ok(before.creditsLeft > 2_500_000, 'the estimate assumed a full bucket');
    assert.equal(before.confidence, 'bounded');
    const after = readingAt(events, 1099).credits!;
    assert.equal(after.creditsLeft, 0);
    assert.equal(after.confidence, 'known');
    assert.match(after.confidenceNote, /seen empty/);
  });
});
