/**
 * Live progress of the bench commands and the build's step events and failure output, driven by injected
 * clocks and recorded or encoded engine messages: no sleeping, no timing thresholds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LiveLine, elapsedText, fitColumns } from '../../src/cli/bench/live-line.js';
import { MarkerStage, markerProbeScript } from '../../src/bench/marker-probe.js';
import { startLoopProgress, startStatusLine } from '../../src/cli/bench/start-command.js';
import { buildStepProgress, parseBuildArgs } from '../../src/cli/bench/build-command.js';
import { phaseProgress } from '../../src/cli/bench/disk-command.js';
import { stepUpdate } from '../../src/bench/build-bench.js';
import { BuildkitSteps, ClassicSteps, TailLines, decodeStatusLogs, type StepEvent } from '../../src/bench/build-steps.js';
import { cacheRecordsOfBuild } from '../../src/bench/build-bench.js';
import { BuildFailedError } from '../../src/bench/build-failed-error.js';
import { ExitCode } from '../../src/errors.js';
import type { BuildCacheUsage } from '../../src/engine/types.js';

/** A stderr that records what was written; `screen()` replays \r and ESC[K as a terminal would. */
class FakeStderr {
  written = '';
  constructor(readonly isTTY: boolean, readonly columns?: number) {}
  write(text: string): boolean { this.written += text; return true; }
  /** The lines a terminal would show now: \r returns to the line start, ESC[K erases the rest of it. */
  screen(): string[] {
    const lines: string[] = [''];
    for (const part of this.written.split(/(\r|\x1b\[K|\n)/)) {
      if (part === '\r') lines[lines.length - 1] = `\u0000${lines[lines.length - 1]}`; // cursor at start: next text overwrites
      else if (part === '\x1b[K') lines[lines.length - 1] = lines[lines.length - 1]!.startsWith('\u0000') ? '\u0000' : lines[lines.length - 1]!;
      else if (part === '\n') lines.push('');
      else if (part) lines[lines.length - 1] = lines[lines.length - 1]!.startsWith('\u0000') ? part : lines[lines.length - 1] + part;
    }
    return lines.map((l) => l.replace(/\u0000/g, '')).filter((l, i, a) => l !== '' || i < a.length - 1);
  }
}

class ManualTime {
  t = 0;
  now = () => this.t;
}

describe('LiveLine', () => {
  it('on a terminal redraws one status line, prints lasting lines above it, and clears it at the end', () => {
    const err = new FakeStderr(true);
    const time = new ManualTime();
    const live = new LiveLine({ stderr: err, quiet: false, now: time.now, tickMs: 0 });
    live.set((ms) => `step A running ${ms}`);
    time.t = 500;
    live.set((ms) => `step A running ${ms}`, { since: 0 });
    live.log('step A 500 ms');
    live.set((ms) => `step B running ${ms}`);
    assert.deepEqual(err.screen(), ['step A 500 ms', 'step B running 0']);
    live.clear();
    assert.deepEqual(err.screen(), ['step A 500 ms'], 'the status line is gone after clear');
    assert.ok(err.written.endsWith('\r\x1b[K'));
  });

  it('without a terminal prints plain lines, at most every few seconds unless forced', () => {
    const err = new FakeStderr(false);
    const time = new ManualTime();
    const live = new LiveLine({ stderr: err, quiet: false, now: time.now, plainEveryMs: 5000 });
    live.set(() => 'one');
    time.t = 1000;
    live.set(() => 'two');
    live.set(() => 'three', { force: true });
    time.t = 7000;
    live.set(() => 'four');
    live.clear();
    assert.equal(err.written, 'one\nthree\nfour\n');
    assert.doesNotMatch(err.written, /\x1b|\r/);
  });

  it('says nothing with --quiet', () => {
    const err = new FakeStderr(true);
    const live = new LiveLine({ stderr: err, quiet: true, tickMs: 0 });
    live.set(() => 'x');
    live.log('y');
    live.clear();
    assert.equal(err.written, '');
  });

  it('gives an ETA only once the share done is known', () => {
    assert.equal(elapsedText(3000), '3.00 s');
    assert.equal(elapsedText(3000, 0.25), '3.00 s, about 9.00 s left');
    assert.equal(elapsedText(3000, 0), '3.00 s');
  });
});

describe('bench start status line', () => {
  it('reads - where no start has succeeded yet, never NaN', () => {
    const line = startStatusLine({ done: 5, target: 20, p50Ms: NaN, p99Ms: NaN, lastMs: 12, stalls: 0, failed: 5 }, 4000);
    assert.doesNotMatch(line, /NaN/);
    assert.match(line, /^5\/20 containers  all 5 starts failed so far  4\.00 s, about 12\.0 s left$/);
    const some = startStatusLine({ done: 5, target: 20, p50Ms: 300, p99Ms: NaN, lastMs: 12, stalls: 0, failed: 4 }, 4000);
    assert.match(some, /^5\/20 containers  p50 300 ms  p99 -  last 12 ms  stalls 0  failed 4  4\.00 s, about 12\.0 s left$/);
  });

  it('draws the loop\'s progress updates: the first and a stalled one at once, a stall as a lasting line', () => {
    const err = new FakeStderr(false);
    const time = new ManualTime();
    const progress = startLoopProgress(new LiveLine({ stderr: err, quiet: false, now: time.now, plainEveryMs: 5000 }), time.now);
    const figures = (lastMs: number, stalls: number, stalled: boolean) => ({ p50Ms: 250, p99Ms: 260, lastMs, stalls, failed: 0, stalled });
    time.t = 250;
    progress.update({ step: 'starting containers', done: 1, total: 4, unit: 'items', detail: figures(250, 0, false) });
    time.t = 500;
    progress.update({ step: 'starting containers', done: 2, total: 4, unit: 'items', detail: figures(250, 0, false) });
    time.t = 2500;
    progress.note('stall: #3 took 2.00 s');
    progress.update({ step: 'starting containers', done: 3, total: 4, unit: 'items', detail: figures(2000, 1, true) });
    progress.end();
    assert.equal(err.written, [
      '1/4 containers  p50 250 ms  p99 260 ms  last 250 ms  stalls 0  250 ms, about 750 ms left',
      'stall: #3 took 2.00 s',
      '3/4 containers  p50 250 ms  p99 260 ms  last 2.00 s  stalls 1  2.50 s, about 833 ms left',
      '',
    ].join('\n'));
  });
});

describe('bench build progress', () => {
  it('shows a step when it starts, its elapsed time while it runs, and a lasting line when it ends', () => {
    const err = new FakeStderr(true);
    const time = new ManualTime();
    const live = new LiveLine({ stderr: err, quiet: false, now: time.now, tickMs: 0 });
    const progress = buildStepProgress(live, time.now);
    const report = (e: StepEvent) => progress.update(stepUpdate(e));
    progress.note('building /app/Dockerfile (BuildKit)');
    report({ kind: 'start', name: '[2/3] RUN chown -R app /app', atMs: 0 });
    assert.deepEqual(err.screen(), ['building /app/Dockerfile (BuildKit)', '[2/3] RUN chown -R app /app  running']);
    // ten minutes later the ticker redraws the same step with its elapsed time
    time.t = 600_000;
    live.set((ms) => `[2/3] RUN chown -R app /app  running ${elapsedText(ms)}`, { since: 0 });
    assert.equal(err.screen().at(-1), '[2/3] RUN chown -R app /app  running 10.0 min');
    report({ kind: 'end', name: '[2/3] RUN chown -R app /app', durationMs: 600_000, cached: false });
    progress.end();
    assert.deepEqual(err.screen(), ['building /app/Dockerfile (BuildKit)', '[2/3] RUN chown -R app /app  10.0 min']);
  });

  it('shows each disk phase live and leaves its time', () => {
    const err = new FakeStderr(false);
    const time = new ManualTime();
    const live = new LiveLine({ stderr: err, quiet: false, now: time.now });
    const phases = phaseProgress(live, time.now);
    phases.update({ step: 'in-container probe 1/2: dd on the host' });
    time.t = 2500;
    phases.update({ step: 'in-container probe 2/2: dd inside busybox', detail: { expectedMs: 20_000 } });
    time.t = 17_500;
    phases.end();
    assert.equal(err.written, [
      'in-container probe 1/2: dd on the host',
      'in-container probe 1/2: dd on the host: 2.50 s',
      'in-container probe 2/2: dd inside busybox',
      'in-container probe 2/2: dd inside busybox: 15.0 s',
      '',
    ].join('\n'));
  });

  it('shows where the in-container probe is as its markers arrive: on a terminal in place, in a log every few seconds', () => {
    const plan = { syncWrites: 3, smallWrites: 4, sequentialMiB: 64 };
    // the markers the probe script prints, in its order (its own text is the source, not a copy here)
    const script = markerProbeScript(plan);
    assert.match(script, /m @null-begin[\s\S]*m @null;[\s\S]*m @begin[\s\S]*m @sync;[\s\S]*m @small-begin[\s\S]*m @small;[\s\S]*m @seq-begin[\s\S]*m @seq-end/);
    const markers = ['@null-begin', ...Array(20).fill('@null'), '@begin', '@sync', '@sync', '@sync', '@small-begin', '@small', '@small', '@small', '@small', '@seq-begin', '@seq-end', '@end'];
    for (const tty of [true, false]) {
      const err = new FakeStderr(tty);
      const time = new ManualTime();
      const phases = phaseProgress(new LiveLine({ stderr: err, quiet: false, now: time.now, tickMs: 0, plainEveryMs: 5000 }), time.now);
      const step = 'in-container probe 2/2: dd inside busybox';
      const stage = new MarkerStage(plan);
      phases.update({ step, detail: { stage: stage.text } });
      const seen: string[] = [];
      for (const m of markers) {
        time.t += 1000;
        if (stage.push(`${m} 123.456`)) {
          phases.update({ step, detail: { stage: stage.text } });
          if (tty) seen.push(err.screen().at(-1)!);
        }
      }
      phases.end();
      if (tty) {
        assert.ok(seen.includes(`${step}  timing dd start-up 12/20  13.0 s`), seen.join('\n'));
        assert.ok(seen.includes(`${step}  1.05 MB fsync'd writes 2/3  24.0 s`));
        assert.ok(seen.includes(`${step}  4.10 kB fsync'd writes 4/4  30.0 s`));
        assert.ok(seen.includes(`${step}  67.1 MB sequential write and fsync  31.0 s`));
        assert.deepEqual(err.screen(), [`${step}: 33.0 s`], 'the status line is gone at the end');
      } else {
        const lines = err.written.trimEnd().split('\n');
        // the first line at once, then at most one every 5 s of the 33 s, then the phase's time
        assert.equal(lines[0], step.concat('  starting'));
        assert.ok(lines.length >= 6 && lines.length <= 9, lines.join('\n'));
        assert.equal(lines.at(-1), `${step}: 33.0 s`);
        assert.ok(lines.some((l) => /fsync'd writes \d+\/\d+  \d+\.\d s$/.test(l)), lines.join('\n'));
      }
    }
  });

  it('fits the status line to the terminal, keeping its start and its live end', () => {
    const line = 'in-container probe 2/2: dd inside busybox limited to 50 write IOPS on /dev/vda (10 x 1.05 MB and 100 x 4.10 kB fsync\'d writes, 67.1 MB sequential)  4.10 kB fsync\'d writes 37/100  12.0 s';
    const fit = fitColumns(line, 80);
    assert.equal([...fit].length, 79);
    assert.ok(fit.startsWith('in-container probe 2/2'));
    assert.ok(fit.endsWith("fsync'd writes 37/100  12.0 s"));
    assert.equal(fitColumns('short', 80), 'short');
    assert.equal(fitColumns(line, undefined), line);
    const err = new FakeStderr(true, 60);
    const live = new LiveLine({ stderr: err, quiet: false, tickMs: 0 });
    live.set(() => line);
    assert.equal([...err.screen()[0]!].length, 59);
    live.clear();
    assert.deepEqual(err.screen(), []);
  });

  it('parses --build-arg like docker build: NAME=VALUE, or NAME from the environment', () => {
    assert.deepEqual(parseBuildArgs(['A=1', 'B=x=y', 'HOME', 'MISSING'], { HOME: '/root' }), { A: '1', B: 'x=y', HOME: '/root' });
    assert.throws(() => parseBuildArgs(['=1'], {}), /--build-arg takes NAME=VALUE/);
  });
});

/** Protobuf encoding, to build the StatusResponse messages the decoder must read back. */
const varint = (n: number): number[] => { const out: number[] = []; do { let b = n % 128; n = Math.floor(n / 128); if (n) b |= 128; out.push(b); } while (n); return out; };
const field = (no: number, payload: number[] | string | number): number[] => {
  if (typeof payload === 'number') return [...varint(no * 8), ...varint(payload)];
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
  return [...varint(no * 8 + 2), ...varint(bytes.length), ...bytes];
};
const ts = (seconds: number) => field(1, seconds);
const trace = (bytes: number[]) => ({ id: 'moby.buildkit.trace', aux: Buffer.from(bytes).toString('base64') });

describe('build step events and failure output', () => {
  it('BuildKit: a step starts before it ends, and the failing step comes with its last lines', () => {
    const steps = new BuildkitSteps();
    const vertex = (extra: number[]) => field(1, [...field(1, 'sha256:run'), ...field(3, '[2/2] RUN make'), ...extra]);
    const log = (msg: string) => field(3, [...field(1, 'sha256:run'), ...field(3, 1), ...field(4, msg)]);
    steps.push(trace(vertex(field(5, ts(100)))));
    assert.deepEqual(steps.events(), [{ kind: 'start', name: '[2/2] RUN make', atMs: 100_000 }]);
    steps.push(trace([...log('compiling\nlinking'), ...log('\nerror: undefined reference\n')]));
    assert.deepEqual(steps.events(), [], 'output is no event');
    steps.push(trace(vertex([...field(5, ts(100)), ...field(6, ts(712)), ...field(7, 'exit code: 2')])));
    assert.deepEqual(steps.events(), [{ kind: 'end', name: '[2/2] RUN make', durationMs: 612_000, cached: false }]);
    assert.deepEqual(steps.failure(), { name: '[2/2] RUN make', error: 'exit code: 2', output: ['compiling', 'linking', 'error: undefined reference'] });
    assert.deepEqual(decodeStatusLogs(Uint8Array.from(log('x'))), [{ digest: 'sha256:run', text: 'x' }]);
  });

  it('BuildKit: the recorded stream gives a start and an end per step, in that order', () => {
    const recorded = readFileSync(fileURLToPath(new URL('../../../test/samples/bench/buildkit-build.ndjson', import.meta.url)), 'utf8')
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = new BuildkitSteps();
    const events: StepEvent[] = [];
    for (const m of recorded) if (steps.push(m)) events.push(...steps.events());
    const sleep = events.filter((e) => e.name === '[3/4] RUN sleep 1').map((e) => e.kind);
    assert.deepEqual(sleep, ['start', 'end']);
    assert.equal(steps.failure(), undefined);
  });

  it('classic builder: Step lines start steps, the next one ends them, the failure keeps the last output', () => {
    const c = new ClassicSteps();
    const events = [
      ...c.push({ stream: 'Step 1/2 : FROM busybox\n' }, 0),
      ...c.push({ stream: ' ---> 23209f950d65\n' }, 5),
      ...c.push({ stream: 'Step 2/2 : RUN make\n' }, 10),
      ...c.push({ stream: ' ---> Running in 4a5b\n' }, 11),
      ...c.push({ stream: 'cc -o app main.c\nmain.c:3: error\n' }, 300),
    ];
    assert.deepEqual(events.map((e) => `${e.kind} ${e.name}`), ['start FROM busybox', 'end FROM busybox', 'start RUN make']);
    assert.deepEqual(c.failure('The command returned a non-zero code: 2'), { name: 'RUN make', error: 'The command returned a non-zero code: 2', output: ['cc -o app main.c', 'main.c:3: error'] });
  });

  it('keeps only the last lines of long output', () => {
    const t = new TailLines(3);
    t.push('1\n2\n3\n4\n5');
    assert.deepEqual(t.tail(), ['3', '4', '5']);
  });

  it('a failed build is its own exit code, not bad input', () => {
    const e = new BuildFailedError('the build failed', 'RUN make', ['x']);
    assert.equal(e.exitCode, ExitCode.buildFailed);
    assert.equal(e.exitCode, 8);
  });
});

describe('build cache of a cold build', () => {
  const rec = (id: string, description: string, createdAt: string, over: Partial<BuildCacheUsage> = {}): BuildCacheUsage => ({
    id, type: 'regular', description, inUse: false, shared: false, size: 100, createdAt, lastUsedAt: undefined, usageCount: 1, ...over,
  });
  it('takes only the new records of this build: not older ones, not another build\'s RUN; one still in use is ours too', () => {
    const before = [rec('old', 'mount / from exec /bin/sh -c apt-get update', '2026-12-01T10:00:00Z')];
    const after = [
      ...before,
      rec('ours-run', 'mount / from exec /bin/sh -c echo cold > /mark', '2026-12-02T04:00:03Z'),
      rec('ours-ctx', 'http url http://build-context-abc', '2026-12-02T04:00:01Z'),
      rec('ours-copy', 'fileop target', '2026-12-02T04:00:02Z'),
      rec('theirs-run', 'mount / from exec /bin/sh -c make test', '2026-12-02T04:00:02Z'),
      rec('busy', 'fileop target', '2026-12-02T04:00:02Z', { inUse: true }),
      rec('later', 'fileop target', '2026-12-02T04:09:00Z'),
    ];
    const steps = [{ name: '[2/2] RUN echo cold > /mark', internal: false, cached: false, startedMs: 0, completedMs: 1, durationMs: 1, error: undefined }];
    const ours = cacheRecordsOfBuild(before, after, steps, { fromMs: Date.parse('2026-12-02T04:00:00Z'), toMs: Date.parse('2026-12-02T04:00:05Z') });
    // BuildKit holds a failed build's records for a moment: in use is no sign of another build's
    assert.deepEqual(ours.map((r) => r.id).sort(), ['busy', 'ours-copy', 'ours-ctx', 'ours-run']);
  });
});
