/**
 * `stowage report --run --images N` on a private engine holding images of known sizes: doctor, then analyze
 * of the N largest images, largest first, as the engine itself sizes them (`docker image inspect`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

describe('report --run --images on a private engine', { timeout: 180_000 }, () => {
  const daemon = new PrivateDaemon();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-report-run-'));
  const big = `${uniqueName('stowage-test/report-big')}:1`;
  before(async () => {
    await daemon.start();
    const base = await ensureBusybox(daemon.env);
    await buildImage(big, `FROM ${base}\nRUN head -c 3000000 /dev/zero > /filler\n`, {}, daemon.env);
  });
  after(async () => {
    await daemon.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyzes the largest images, largest first, and renders them with doctor', async () => {
    const out = join(dir, 'run.html');
    const r = await runCli(['--json', '-H', daemon.host, 'report', '--run', '--images', '2', '--no-probe', '--window', '100', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(schemaValidator('report.schema.json')(summary), []);
    // the engine's own sizes decide the order
    const listed = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { env: daemon.env });
    const sized = await Promise.all(listed.stdout.trim().split('\n').map(async (tag) => ({
      tag, size: Number((await docker(['image', 'inspect', '-f', '{{.Size}}', tag], { env: daemon.env })).stdout.trim()),
    })));
    const expected = sized.sort((a, b) => b.size - a.size).slice(0, 2).map((i) => i.tag);
    assert.equal(expected[0], big);
    assert.deepEqual(summary.result.documents, [
      { source: 'stowage doctor', kind: 'doctor' },
      ...expected.map((tag) => ({ source: `stowage analyze ${tag}`, kind: 'analyze' })),
    ]);
    const page = readFileSync(out, 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="stowage-report-data">([^<]*)<\/script>/.exec(page)![1]!);
    const analyzed = data.documents.filter((d: { kind: string }) => d.kind === 'analyze');
    assert.deepEqual(analyzed.map((d: { document: { result: { image: { repoTags: string[] } } } }) => d.document.result.image.repoTags[0]), expected);
    for (const d of data.documents) assert.deepEqual(schemaValidator(`${d.kind}.schema.json`)(d.document), [], `${d.kind} as --json prints it`);
    assert.equal(data.documents[0].document.result.facts.dataRoot, daemon.dataRoot, 'doctor ran against the engine -H names');
  });

  it('--images without --run is a usage error', async () => {
    const r = await runCli(['report', '--images', '1', '-o', join(dir, 'x.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--images goes with --run/);
  });
});
