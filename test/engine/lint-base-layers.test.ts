/** dockerfile/layer-count asks the real engine for the base image's layers when it has the image. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import { lintFiles } from '../../src/lint/lint-files.js';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';

test('layer-count counts the base image layers the engine reports', { timeout: 5 * 60_000 }, async () => {
  const busybox = await ensureBusybox();
  const tag = uniqueName('stowage-test/lint-base');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-base-'));
  try {
    await buildImage(tag, `FROM ${busybox}\nRUN echo 1 > /a\nRUN echo 2 > /b\nRUN echo 3 > /c\n`);
    const { stdout } = await docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', tag]);
    const baseLayers = Number(stdout.trim());
    assert.ok(baseLayers >= 4);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${tag}\nCOPY a /a\nCOPY b /b\n`);
    const engine = await connectEngine();
    const threshold = baseLayers;
    const result = await lintFiles({ paths: [join(dir, 'Dockerfile')], useContext: false, engine, settings: { layerWarn: threshold } });
    const f = result.files[0]!.findings.find((x) => x.id === 'dockerfile/layer-count');
    assert.ok(f, JSON.stringify(result.files[0]!.findings));
    assert.equal(f.evidence.find((e) => e.label === 'base image layers')?.value, baseLayers);
    assert.equal(f.evidence.find((e) => e.label === 'total')?.value, baseLayers + 2);
    // Without the engine the base is unknown and the Dockerfile's own 2 layers stay under the threshold.
    const offline = await lintFiles({ paths: [join(dir, 'Dockerfile')], useContext: false, settings: { layerWarn: threshold } });
    assert.equal(offline.files[0]!.findings.some((x) => x.id === 'dockerfile/layer-count'), false);
  } finally {
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  }
});
