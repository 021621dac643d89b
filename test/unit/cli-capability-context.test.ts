import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClock, systemClock } from '../../src/clock.js';
import { capabilityContext } from '../../src/context.js';
import { runDoctor } from '../../src/doctor/doctor.js';
import { EngineUnreachableError, InterruptedError } from '../../src/errors.js';
import { RecordingProgress } from '../../src/progress.js';
import { NdjsonProgress, PlainProgress, TtyProgress } from '../../src/cli/progress-sinks.js';

const nowhere = { host: `unix:///nonexistent/stowage-${process.pid}.sock`, env: {} };

test('the engine is connected lazily, once, and its failure is typed', async () => {
  const context = capabilityContext({ connect: nowhere });
  assert.equal(context.endpoint().url, nowhere.host, 'the endpoint is known without connecting');
  const first = context.engine();
  assert.equal(context.engine(), first, 'one connection for the whole run');
  await assert.rejects(first, (err: unknown) => err instanceof EngineUnreachableError && err.failure === 'socket-missing');
});

test('the system clock sleeps and stops sleeping when aborted', async () => {
  const t0 = systemClock.monotonic();
  await systemClock.sleep(30);
  assert.ok(systemClock.monotonic() - t0 >= 25);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new InterruptedError()), 20);
  await assert.rejects(systemClock.sleep(60_000, controller.signal), InterruptedError);
  assert.ok(Math.abs(systemClock.now() - Date.now()) < 1000);
});

test('the test clock moves only when told, and wakes sleeps that are due', async () => {
  const clock = new TestClock({ start: 1_000_000 });
  let woke = false;
  const sleeping = clock.sleep(500).then(() => { woke = true; });
  clock.advance(499);
  await Promise.resolve();
  assert.equal(woke, false);
  clock.advance(1);
  await sleeping;
  assert.equal(woke, true);
  assert.equal(clock.now(), 1_000_500);
  assert.equal(clock.monotonic(), 500);
});

test('doctor takes its time from the context: a 30 s window passes without waiting', async () => {
  const clock = new TestClock({ autoAdvance: true });
  const progress = new RecordingProgress();
  const started = performance.now();
  const report = await runDoctor({ only: ['io'], windowMs: 30_000, probe: false }, capabilityContext({ connect: nowhere, clock, progress }));
  assert.ok(performance.now() - started < 15_000, 'no real 30 s sleep');
  assert.deepEqual(clock.sleeps, report.facts.skipped.length ? [] : [30_000]);
  assert.equal(report.facts.engine.reachable, false);
  assert.equal(report.facts.engine.endpoint, nowhere.host);
  assert.ok(progress.steps.includes('connecting to the engine'));
  if (!report.facts.skipped.length) assert.equal(report.durationMs, 30_000, 'durations come from the monotonic clock');
});

test('doctor stops its window when the context is aborted', async () => {
  const clock = new TestClock();
  const controller = new AbortController();
  const run = runDoctor({ only: ['io'], windowMs: 30_000, probe: false }, capabilityContext({ connect: nowhere, clock, signal: controller.signal }));
  while (!clock.sleeps.length) await new Promise((r) => setTimeout(r, 5));
  controller.abort(new InterruptedError('doctor interrupted'));
  await assert.rejects(run, /doctor interrupted/);
});

function sink() {
  let text = '';
  return { stream: { write: (s: string) => { text += s; }, isTTY: true }, text: () => text };
}

test('the terminal sink rewrites one line with amount, elapsed and ETA, and clears it at the end', () => {
  const clock = new TestClock();
  const out = sink();
  const p = new TtyProgress(out.stream, clock, 'flatten');
  p.update({ step: 'writing', done: 0, total: 400, unit: 'bytes' });
  clock.advance(1000);
  p.update({ step: 'writing', done: 100, total: 400, unit: 'bytes' });
  clock.advance(50);
  p.update({ step: 'writing', done: 150, total: 400, unit: 'bytes' });
  assert.equal(out.text(), '\r\x1b[Kflatten: writing 0 B of 400 B (0%) [0 µs]\r\x1b[Kflatten: writing 100 B of 400 B (25%) [1.00 s, about 3.00 s left]', 'a redraw within 100 ms is skipped');
  p.note('kept 3 layers');
  p.end();
  assert.ok(out.text().endsWith('\r\x1b[Kflatten: kept 3 layers\n'), 'a note is printed on a cleared line, and the end leaves nothing behind');
});

test('plain and NDJSON sinks: a line per step, an event per update', () => {
  const plain = sink();
  const p = new PlainProgress(plain.stream, 'doctor');
  p.update({ step: 'a' });
  p.update({ step: 'a', done: 5 });
  p.update({ step: 'b' });
  p.end();
  assert.equal(plain.text(), 'doctor: a\ndoctor: b\n');
  const clock = new TestClock();
  const nd = sink();
  const n = new NdjsonProgress(nd.stream, clock, 'doctor');
  n.update({ step: 'a', done: 1, total: 2, unit: 'items' });
  clock.advance(7);
  n.end();
  assert.deepEqual(nd.text().trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { type: 'progress', step: 'a', done: 1, total: 2, unit: 'items', command: 'doctor', elapsedMs: 0 },
    { type: 'end', command: 'doctor', elapsedMs: 7 },
  ]);
});
