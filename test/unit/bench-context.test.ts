/**
 * The bench capabilities on the capability context (issue 13): the engine only when asked for, progress and
 * cancellation through the context. bench disk on a temporary directory needs no engine, so it runs here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDiskBench } from '../../src/bench/disk-bench.js';
import { runStartBench } from '../../src/bench/start-loop.js';
import { runBuildBench } from '../../src/bench/build-bench.js';
import { capabilityContext } from '../../src/context.js';
import { EngineUnreachableError, InterruptedError } from '../../src/errors.js';
import { RecordingProgress } from '../../src/progress.js';

const nowhere = { host: `unix:///nonexistent/stowage-${process.pid}.sock`, env: {} };

test('bench disk on a path never connects, and tells each phase through the context', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-context-'));
  try {
    const progress = new RecordingProgress();
    const r = await runDiskBench({ path: dir, tool: 'built-in', runtimeMs: 200, syncWrites: 2 }, capabilityContext({ connect: nowhere, progress }));
    assert.equal(r.schemaVersion, 1, 'the result is the document, versioned');
    assert.equal(r.tool, 'built-in');
    assert.equal(r.syncWrite.writes, 2);
    const updates = progress.events.flatMap((e) => (e.kind === 'update' ? [e.update] : []));
    assert.deepEqual(updates.map((u) => u.step.replace(/:.*/, '')), ['built-in probe (asked for with --tool built-in)', 'built-in probe', 'built-in probe']);
    assert.deepEqual(updates.map((u) => u.detail?.expectedMs), [undefined, 200, 200], 'the timed phases say how long they should take');
    assert.deepEqual(readdirSync(dir), [], 'the probe files are gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench disk stops before its first phase when the signal is aborted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-context-'));
  try {
    const controller = new AbortController();
    controller.abort(new InterruptedError('bench disk interrupted'));
    const progress = new RecordingProgress();
    await assert.rejects(runDiskBench({ path: dir, tool: 'built-in', runtimeMs: 200 }, capabilityContext({ connect: nowhere, progress, signal: controller.signal })),
      InterruptedError);
    assert.deepEqual(progress.steps, []);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each bench capability takes its engine from the context: unreachable is the typed error', async () => {
  const context = () => capabilityContext({ connect: nowhere });
  const unreachable = (err: unknown) => err instanceof EngineUnreachableError && err.failure === 'socket-missing';
  // bench disk without a path measures the engine's data-root, so it needs the engine
  await assert.rejects(runDiskBench({ tool: 'built-in' }, context()), unreachable);
  await assert.rejects(runStartBench({ image: 'stowage-test/busybox:latest', iterations: 1 }, context()), unreachable);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-context-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await assert.rejects(runBuildBench({ dir }, context()), unreachable);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
