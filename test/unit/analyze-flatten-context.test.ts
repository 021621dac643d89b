/**
 * analyze and flatten as `(options, context)` capabilities (issue 13), on archives, without an engine: the
 * engine is asked for only when the image is in it, time comes from the context's clock, progress goes to the
 * context's sink, an aborted signal stops the work and leaves nothing behind, and the CLI's `--json` result is
 * the library's result as it is.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeImage } from '../../src/analyze/analyze-image.js';
import { loadThresholds } from '../../src/analyze/thresholds.js';
import { TestClock } from '../../src/clock.js';
import { capabilityContext } from '../../src/context.js';
import { flattenImage } from '../../src/flatten/flatten-image.js';
import { RecordingProgress, type Progress } from '../../src/progress.js';
import { dockerArchive, layerTar, type FakeImage } from '../support/image-archives.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-context-af-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE: FakeImage = {
  layers: [
    layerTar([
      { entry: { path: 'app', type: 'dir' } },
      { entry: { path: 'app/big', type: 'file' }, content: Buffer.alloc(3_000_000, 7) },
      { entry: { path: 'app/tmp', type: 'file' }, content: Buffer.alloc(400_000, 1) },
    ]),
    layerTar([
      { entry: { path: 'app', type: 'dir', uid: 1000 } },
      { entry: { path: 'app/big', type: 'file', uid: 1000 }, content: Buffer.alloc(3_000_000, 7) },
      { entry: { path: 'app/.wh.tmp', type: 'file' } },
    ]),
  ],
  history: [{ createdBy: 'COPY app/ /app/ # buildkit' }, { createdBy: 'RUN chown -R 1000 /app && rm /app/tmp' }],
};
const archive = join(dir, 'image.tar');
writeFileSync(archive, dockerArchive(IMAGE));

/** A context whose engine must not be asked for: the inputs here are archives. */
function noEngineContext(options: { progress?: Progress; signal?: AbortSignal; clock?: TestClock } = {}) {
  const asked: string[] = [];
  const context = capabilityContext({ ...options });
  context.engine = () => {
    asked.push('engine');
    return Promise.reject(new Error('the engine was asked for'));
  };
  return { context, asked };
}

test('analyze: an archive is read without asking for the engine; elapsed from the clock; summary and failOn in the result', async () => {
  const { context, asked } = noEngineContext({ clock: new TestClock() });
  const r = await analyzeImage({ reference: archive, failOn: 'warn' }, context);
  assert.deepEqual(asked, []);
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.elapsedMs, 0, 'a test clock that never moves: no time passed');
  assert.equal(r.failOn, 'warn');
  assert.equal(r.image.layers, 2);
  const counted = { error: 0, warn: 0, info: 0 };
  for (const f of r.findings) counted[f.severity]++;
  assert.deepEqual(r.summary, counted);
  assert.ok(r.findings.some((f) => f.id === 'image/metadata-copy'), 'the chown -R of 3 MB is found');
  assert.equal((await analyzeImage({ reference: archive }, noEngineContext().context)).failOn, 'error', 'error by default');
});

test('analyze: an aborted signal rejects with its reason before anything is read', async () => {
  const controller = new AbortController();
  const reason = new Error('given up');
  controller.abort(reason);
  const { context, asked } = noEngineContext({ signal: controller.signal });
  await assert.rejects(analyzeImage({ reference: 'stowage-test/never:read' }, context), (err) => err === reason);
  assert.deepEqual(asked, []);
});

test('analyze --json: the document\'s result is the library\'s result as it is, and no engine is needed', async () => {
  const r = await runCli(['--json', 'analyze', '--fail-on', 'info', archive], { env: { DOCKER_HOST: 'unix:///nonexistent/stowage.sock' } });
  assert.equal(r.code, 1, `findings at or above info: exit 1; ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { schemaVersion: number; command: string; result: Record<string, unknown> };
  const library = await analyzeImage({ reference: archive, failOn: 'info' });
  const { elapsedMs: cliElapsed, ...cli } = doc.result;
  const { elapsedMs: libElapsed, ...lib } = JSON.parse(JSON.stringify(library)) as Record<string, unknown>;
  assert.equal(typeof cliElapsed, 'number');
  assert.equal(typeof libElapsed, 'number');
  assert.deepEqual(cli, lib);
  assert.deepEqual([doc.schemaVersion, doc.command, doc.result.schemaVersion, doc.result.failOn], [1, 'analyze', 1, 'info']);
});

test('flatten: progress and time from the context, no engine for an archive into a file', async () => {
  const progress = new RecordingProgress();
  const { context, asked } = noEngineContext({ progress, clock: new TestClock() });
  const out = join(dir, 'flat.tar');
  const r = await flattenImage({ reference: archive, output: { kind: 'docker-archive', path: out } }, context);
  assert.deepEqual(asked, []);
  assert.equal(r.schemaVersion, 1);
  assert.equal(r.output.layers, 1);
  assert.equal(r.verification.verified, true);
  assert.deepEqual(r.timings, { readMs: 0, writeMs: 0, verifyMs: 0, totalMs: 0 }, 'a test clock that never moves');
  assert.ok(progress.steps.some((s) => s.startsWith('writing')), progress.steps.join('\n'));
  const bytes = progress.events.flatMap((e) => (e.kind === 'update' && e.update.unit === 'bytes' ? [e.update] : []));
  assert.ok(bytes.length >= 2, 'the squashed layer\'s bytes, every MiB');
  assert.equal(bytes.at(-1)!.done, bytes.at(-1)!.total, 'and all of them at the end');
});

test('flatten: aborted while the squashed layer is being written, it stops there and leaves no file behind', async () => {
  const target = mkdtempSync(join(dir, 'abort-'));
  const controller = new AbortController();
  const reason = new Error('given up halfway');
  let sentWhenAborted = 0;
  const progress: Progress = {
    update: (u) => {
      if (u.unit === 'bytes' && u.done! > 0 && !controller.signal.aborted) {
        sentWhenAborted = u.done!;
        controller.abort(reason);
      }
    },
    note: () => undefined,
    end: () => undefined,
  };
  const { context } = noEngineContext({ progress, signal: controller.signal });
  await assert.rejects(flattenImage({ reference: archive, output: { kind: 'docker-archive', path: join(target, 'flat.tar') } }, context), (err) => err === reason);
  assert.ok(sentWhenAborted > 0 && sentWhenAborted < 6_000_000, `aborted mid-layer, at ${sentWhenAborted} bytes`);
  assert.deepEqual(readdirSync(target), [], 'neither the output nor its temporary');
});

test('analyze thresholds: .stowage.json, then .dive-ci (when asked), then a given file, then flags', () => {
  const repo = mkdtempSync(join(dir, 'repo-'));
  mkdirSync(join(repo, '.git'));
  const env = { XDG_CONFIG_HOME: join(repo, 'no-such-dir') };
  writeFileSync(join(repo, '.stowage.json'), JSON.stringify({ analyze: { lowestEfficiency: 0.5, highestLayers: 40 } }));
  writeFileSync(join(repo, '.dive-ci'), 'rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 20MB\n');
  const given = join(repo, 'gate.json');
  writeFileSync(given, JSON.stringify({ analyze: { highestWastedBytes: '1MB' } }));
  assert.deepEqual(loadThresholds({ cwd: repo, env }), { lowestEfficiency: 0.5, highestLayers: 40 });
  assert.deepEqual(loadThresholds({ cwd: repo, env, diveCi: true, overrides: { highestLayers: 80 } }),
    { lowestEfficiency: 0.9, highestLayers: 80, highestWastedBytes: 20_000_000 });
  assert.deepEqual(loadThresholds({ cwd: repo, env, config: given }), { highestWastedBytes: 1_000_000 }, 'a given file replaces .stowage.json');
  writeFileSync(join(repo, '.stowage.json'), JSON.stringify({ analyze: { lowestEfficiency: 'most' } }));
  assert.throws(() => loadThresholds({ cwd: repo, env }), /\.stowage\.json \(section "analyze"\) lowestEfficiency: "most" is not a ratio/);
});
