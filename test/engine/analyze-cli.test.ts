/** `stowage analyze` as a user runs it: exit codes, --json shape, --paths, thresholds from flags and .dive-ci files. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { schemaValidator } from '../support/json-schema.js';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { CLASSIC_BUILD } from '../support/export-oracle.js';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => { stdout += s; } },
    stderr: { write: (s: string) => { stderr += s; } },
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code, stdout, stderr };
}

describe('stowage analyze (CLI)', { timeout: 300_000 }, () => {
  const tag = `${uniqueName('stowage-test/analyze-cli')}:latest`;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-analyze-cli-'));
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 8; i++) files[`app/f${i}`] = Buffer.alloc(2048, i + 1);

  before(async () => {
    await ensureBusybox();
    await buildImage(tag, 'FROM stowage-test/busybox:latest\nCOPY app/ /app/\nRUN chown -R 1000:1000 /app\n', files, CLASSIC_BUILD);
  });
  after(async () => {
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('text report names the chown layer, its metadata-only bytes and the fix; exit 0 without thresholds', async () => {
    const r = await run(['analyze', '-q', tag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /RUN chown -R 1000:1000 \/app/);
    assert.match(r.stdout, /\[image\/metadata-copy\]/);
    assert.match(r.stdout, /COPY --chown/);
    assert.match(r.stdout, /via overlay2/);
  });

  test('--json prints one versioned document with exact figures', async () => {
    const r = await run(['--json', 'analyze', '-q', tag]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { schemaVersion: number; command: string; result: { totals: { metadataOnlyBytes: number; wastedBytes: number }; layers: unknown[]; findings: { id: string }[] } };
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.command, 'analyze');
    assert.equal(doc.result.layers.length, 3);
    assert.equal(doc.result.totals.metadataOnlyBytes, 8 * 2048);
    assert.equal(doc.result.totals.wastedBytes, 8 * 2048);
    assert.ok(doc.result.findings.some((f) => f.id === 'image/metadata-copy'));
    const validate = schemaValidator('analyze.schema.json');
    assert.deepEqual(validate(doc), [], 'the document follows schema/analyze.schema.json');
    const withPaths = JSON.parse((await run(['--json', 'analyze', '-q', '--paths', 'wasted', tag])).stdout) as unknown;
    assert.deepEqual(validate(withPaths), []);
    const broken = structuredClone(doc) as unknown as { result: { totals: { efficiency: number }; layers: { diffId: string }[] } };
    broken.result.totals.efficiency = 2;
    broken.result.layers[0]!.diffId = 'nope';
    assert.ok(validate(broken).length >= 2, 'the schema rejects a malformed document');
  });

  test('a threshold crossed exits 1; thresholds also come from a .dive-ci file', async () => {
    assert.equal((await run(['analyze', '-q', '--lowest-efficiency', '0.995', tag])).code, 1);
    assert.equal((await run(['analyze', '-q', '--highest-metadata-bytes', '1MB', tag])).code, 0);
    const ci = join(dir, '.dive-ci');
    writeFileSync(ci, 'rules:\n  lowestEfficiency: 0.999\n  highestWastedBytes: 10KB\n');
    const r = await run(['analyze', '-q', '--config', ci, tag]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR .*efficiency 99\.\d% is below the threshold 99\.9%/);
    assert.match(r.stdout, /ERROR .*copies that later layers overwrite or delete \[image\/wasted-bytes\]/);
  });

  test('--paths lists the files behind a figure', async () => {
    const r = await run(['analyze', '-q', '--paths', 'metadata-only', tag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^8 paths behind "metadata-only"/);
    for (let i = 0; i < 8; i++) assert.match(r.stdout, new RegExp(`/app/f${i}\\s+owner 0:0→1000:1000`));
  });

  test('the same answer from a docker save archive; bad input exits 4 naming where it broke', async () => {
    const archive = join(dir, 'image.tar');
    await docker(['save', '-o', archive, tag]);
    const fromArchive = await run(['--json', 'analyze', '-q', archive]);
    const fromEngine = await run(['--json', 'analyze', '-q', '--source', 'export', tag]);
    const figures = (s: string) => (JSON.parse(s) as { result: { totals: unknown } }).result.totals;
    assert.deepEqual(figures(fromArchive.stdout), figures(fromEngine.stdout));
    const data = readFileSync(archive);
    writeFileSync(archive, data.subarray(0, Math.floor(data.length * 0.6)));
    const bad = await run(['analyze', '-q', archive]);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /archive .*image\.tar.*truncated .* at byte \d+/);
    const missing = await run(['analyze', '-q', 'stowage-test/no-such-image:nope']);
    assert.equal(missing.code, 4);
    assert.equal((await run(['analyze', '--paths', 'bogus', tag])).code, 2);
  });
});
