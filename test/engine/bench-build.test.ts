/** bench build against the real engine: BuildKit through the API, the classic builder, and --vs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { buildCacheIds, pruneBuildCacheSince } from '../support/build-cache.js';

describe('stowage bench build', () => {
  // bench build leaves the cache of its builds, as docker build does; the tests remove what theirs made
  let cacheBefore = new Set<string>();
  before(async () => { cacheBefore = await buildCacheIds(); });
  after(async () => { await pruneBuildCacheSince(cacheBefore); });

  it('builds with BuildKit through the engine, times steps, compares with --vs, removes the images', { timeout: 180_000 }, async () => {
    const base = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-build-'));
    try {
      writeFileSync(join(dir, 'data.bin'), Buffer.alloc(300_000, 7));
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY data.bin /data.bin\nRUN sleep 1\nRUN cp /data.bin /copy.bin\n`);
      writeFileSync(join(dir, 'Dockerfile.one'), `FROM ${base}\nCOPY data.bin /data.bin\n`);
      const r = await runCli(['--json', 'bench', 'build', dir, '--vs', join(dir, 'Dockerfile.one'), '--network', 'host', '--thresholds', '0.001,0.002,5']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(schemaValidator('bench-build.schema.json')(doc), []);
      const res = doc.result;
      assert.equal(res.runs.length, 2);
      const [a, b] = res.runs;
      assert.equal(a.builder, 'buildkit');
      assert.match(a.builderNote, /version=2/);
      const sleep = a.steps.find((s: { name: string }) => /RUN sleep 1$/.test(s.name));
      assert.ok(sleep && sleep.durationMs >= 1000, 'the sleep step took at least its second');
      assert.ok(a.steps.some((s: { name: string }) => /COPY data\.bin/.test(s.name)));
      // FROM's one layer + COPY + two RUNs; Docker's own inspect is the oracle
      assert.equal(a.layers - b.layers, 2);
      assert.ok(a.imageSize - b.imageSize >= 300_000, 'the copy adds its bytes');
      assert.equal(a.rating, 'acceptable', 'rated by the given thresholds');
      assert.equal(typeof a.dataRootGrowth, 'number', 'data-root growth from the engine\'s disk usage');
      assert.equal(res.comparison.layerDelta, b.layers - a.layers);
      assert.ok(res.findings.some((f: { id: string }) => f.id === 'bench/build-time'));
      for (const run of res.runs) {
        const gone = await docker(['image', 'inspect', run.tag], { allowFailure: true });
        assert.notEqual(gone.code, 0, `${run.tag} removed`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds with the classic builder when asked, and fails with exit 8 (build failed) on a broken Dockerfile', { timeout: 120_000 }, async () => {
    const base = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-build-'));
    let tag: string | undefined;
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo a > /a\nRUN echo b > /b\n`);
      const r = await runCli(['bench', 'build', dir, '--builder', 'classic', '--network', 'host', '--keep']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^builder: classic builder \(asked for with --builder classic\)$/m);
      assert.match(r.stdout, /^RUN echo a > \/a\s+\S+/m);
      tag = /kept as (\S+)/.exec(r.stdout)?.[1];
      assert.ok(tag, 'the kept tag is named');
      const inspect = await docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', tag]);
      assert.match(r.stdout, new RegExp(`, ${inspect.stdout.trim()} layers?\\b`));
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN exit 7\n`);
      const bad = await runCli(['bench', 'build', dir, '--network', 'host']);
      assert.equal(bad.code, 8, 'a failed build is exit 8, not bad input (issue 20)');
      assert.match(bad.stderr, /the build of .* failed/);
    } finally {
      if (tag) await docker(['rmi', tag], { allowFailure: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the context as the engine would get it from docker build: .dockerignore applies', { timeout: 120_000 }, async () => {
    const base = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-build-'));
    try {
      writeFileSync(join(dir, 'secret.txt'), 'do not send');
      writeFileSync(join(dir, 'keep.txt'), 'send');
      writeFileSync(join(dir, '.dockerignore'), 'secret.txt\n');
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY . /c\nRUN test -e /c/keep.txt && test ! -e /c/secret.txt\n`);
      for (const builder of ['buildkit', 'classic']) {
        const r = await runCli(['bench', 'build', dir, '--builder', builder, '--network', 'host']);
        assert.equal(r.code, 0, `${builder}: ${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
