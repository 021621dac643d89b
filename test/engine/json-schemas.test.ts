/**
 * Every command's real `--json` output, as a user gets it from the built CLI, validated against its
 * published schema in schema/ (and the error document for a failing command).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaValidator } from '../support/json-schema.js';
import { runCli } from '../support/run-cli.js';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { withBuildCacheCleanup } from '../support/build-cache.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

/** The command's document, checked for what every document shares and against its schema. */
function check(schema: string, command: string | null, stdout: string): Record<string, unknown> {
  const docs = stdout.trim().split(/\n(?=\{)/);
  assert.equal(docs.length, 1, 'exactly one document on stdout');
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, command);
  assert.deepEqual(schemaValidator(schema)(doc), [], `follows schema/${schema}`);
  return doc;
}

describe('--json documents follow their schemas', { timeout: 600_000 }, () => {
  const tag = `${uniqueName('stowage-test/json-schemas')}:latest`;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-json-schemas-'));

  before(async () => {
    await ensureBusybox();
    await buildImage(tag, 'FROM stowage-test/busybox:latest\nCOPY app/ /app/\nRUN rm /app/b && chmod 600 /app/a\n',
      { 'app/a': Buffer.alloc(4096, 1), 'app/b': Buffer.alloc(8192, 2) });
  });
  after(async () => {
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('every schema file compiles', () => {
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    assert.ok(files.includes('flatten.schema.json') && files.includes('error.schema.json'));
    for (const f of files) assert.equal(typeof schemaValidator(f), 'function', f);
  });

  test('doctor', async () => {
    const r = await runCli(['--json', 'doctor', '--window', '200', '--no-probe']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    check('doctor.schema.json', 'doctor', r.stdout);
  });

  test('analyze, on an image built here', async () => {
    const r = await runCli(['--json', 'analyze', tag]);
    assert.equal(r.code, 0, r.stderr);
    const doc = check('analyze.schema.json', 'analyze', r.stdout) as { result: { layers: unknown[] } };
    assert.equal(doc.result.layers.length, 3);
  });

  test('flatten, into a file', async () => {
    const out = join(dir, 'flat.tar');
    const r = await runCli(['--json', 'flatten', '-o', out, tag]);
    assert.equal(r.code, 0, r.stderr);
    const doc = check('flatten.schema.json', 'flatten', r.stdout) as { result: { output: { layers: number; target: string }; verification: { verified: boolean } } };
    assert.equal(doc.result.output.layers, 1);
    assert.equal(doc.result.output.target, out);
    assert.equal(doc.result.verification.verified, true);
    // the schema is not a rubber stamp: the same document with a field broken fails it
    const broken = structuredClone(doc) as unknown as { result: { output: { kind: string } } };
    broken.result.output.kind = 'tarball';
    assert.notDeepEqual(schemaValidator('flatten.schema.json')(broken), []);
  });

  test('lint', async () => {
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM busybox\nRUN echo a\nRUN echo b\n');
    const r = await runCli(['--json', 'lint', file]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    check('lint.schema.json', 'lint', r.stdout);
  });

  test('bench disk, quick settings', async () => {
    const r = await runCli(['--json', 'bench', 'disk', dir, '--tool', 'built-in', '--runtime', '1s', '--sync-writes', '3']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const doc = check('bench-disk.schema.json', 'bench disk', r.stdout) as { result: { schemaVersion: number; tool: string } };
    assert.deepEqual([doc.result.schemaVersion, doc.result.tool], [1, 'built-in']);
  });

  test('bench start, a few containers with the sampler', async () => {
    const before = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=start']);
    const r = await runCli(['--json', 'bench', 'start', '--image', 'stowage-test/busybox:latest', '-n', '3', '--interval', '200', '--cmd', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const doc = check('bench-start.schema.json', 'bench start', r.stdout) as { result: { schemaVersion: number; summary: { iterations: number }; sampleCount: number } };
    // the result is the capability's document itself: its own schemaVersion, no per-iteration rows
    assert.equal(doc.result.schemaVersion, 1);
    assert.equal(doc.result.summary.iterations, 3);
    assert.equal((doc.result as Record<string, unknown>).iterations, undefined);
    const broken = structuredClone(doc) as unknown as { result: { schemaVersion: number } };
    broken.result.schemaVersion = 2;
    assert.notDeepEqual(schemaValidator('bench-start.schema.json')(broken), []);
    const after = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=start']);
    assert.equal(after.stdout, before.stdout, 'no container left behind');
  });

  test('bench build, a one-step Dockerfile', async () => {
    const context = join(dir, 'build');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), `FROM stowage-test/busybox:latest\nRUN echo ${uniqueName('json-schemas')} > /mark\n`);
    const r = await withBuildCacheCleanup(() => runCli(['--json', 'bench', 'build', context]));
    assert.equal(r.code, 0, r.stderr);
    const doc = check('bench-build.schema.json', 'bench build', r.stdout) as { result: { schemaVersion: number; runs: { kept: boolean }[] } };
    assert.equal(doc.result.schemaVersion, 1);
    assert.equal(doc.result.runs.length, 1);
    assert.equal(doc.result.runs[0]!.kept, false);
  });

  test('a failing command: one error document', async () => {
    const r = await runCli(['--json', 'analyze', `${uniqueName('stowage-test/no-such-image')}:latest`]);
    assert.equal(r.code, 4, r.stderr);
    const doc = check('error.schema.json', 'analyze', r.stdout) as { error: { code: string; exitCode: number } };
    assert.deepEqual([doc.error.code, doc.error.exitCode], ['bad-input', 4]);
  });
});
