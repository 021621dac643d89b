/** bench start against the real engine, through the CLI as a user runs it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

describe('stowage bench start', () => {
  it('loops containers through the API, writes the timeline and a JSON summary', { timeout: 120_000 }, async () => {
    const image = await ensureBusybox();
    const out = mkdtempSync(join(tmpdir(), 'stowage-bench-out-'));
    try {
      const before = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=start']);
      const r = await runCli(['--json', 'bench', 'start', '--image', image, '-n', '6', '--concurrency', '2', '--interval', '250', '--out', out, '--', 'sh', '-c', 'exit 3']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.command, 'bench start');
      assert.deepEqual(schemaValidator('bench-start.schema.json')(doc), []);
      const res = doc.result;
      assert.equal(res.summary.iterations, 6);
      assert.equal(res.summary.failed, 0);
      assert.equal(res.concurrency, 2);
      assert.deepEqual(res.cmd, ['sh', '-c', 'exit 3']);
      for (const p of ['create', 'start', 'wait', 'remove']) assert.ok(res.summary.phases[p].p50 > 0, `${p} timed`);
      assert.ok(res.summary.total.p50 >= res.summary.phases.start.p50);
      assert.ok(res.device.device, 'the data-root device was resolved');
      assert.ok(res.sampleCount >= 1);
      assert.ok(Array.isArray(res.findings));
      assert.equal(res.iterations, undefined, 'per-iteration rows go to --out, not --json');
      const rows = readFileSync(join(out, 'iterations.csv'), 'utf8').trimEnd().split('\n');
      assert.equal(rows.length, 7);
      assert.ok(rows.slice(1).every((l) => l.split(',')[8] === '3'), 'the exit code of each container is recorded');
      const timeline = JSON.parse(readFileSync(join(out, 'timeline.json'), 'utf8'));
      assert.deepEqual(schemaValidator('bench-start.schema.json')(timeline), []);
      assert.equal(timeline.result.iterations.length, 6);
      assert.equal(timeline.result.samples.length, readFileSync(join(out, 'samples.csv'), 'utf8').trimEnd().split('\n').length - 1);
      const after = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=start']);
      assert.equal(after.stdout, before.stdout, 'no container left behind');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('prints the phase table and refuses an image the engine does not have', { timeout: 60_000 }, async () => {
    const image = await ensureBusybox();
    const ok = await runCli(['bench', 'start', '--image', image, '-n', '3', '--cmd', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^bench start: 3 containers of /);
    assert.match(ok.stdout, /\ncreate\s+\S+ (µs|ms|s|min)\b/);
    assert.match(ok.stdout, /\ntotal\s/);
    assert.match(ok.stderr, /1\/3 containers/);
    const timed = await runCli(['--json', 'bench', 'start', '--image', image, '--duration', '1500ms', '--no-sampler', '--cmd', 'true']);
    assert.equal(timed.code, 0, timed.stderr);
    const t = JSON.parse(timed.stdout).result;
    assert.ok(t.summary.iterations >= 1, 'at least one container in the time given');
    assert.equal(t.sampleCount, 0);
    assert.equal(t.samplerNote, 'sampler turned off');
    const missing = await runCli(['bench', 'start', '--image', 'stowage-test/no-such-image:never', '-n', '1']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /not in the engine/);
  });
});
