/**
 * When the layer directories cannot be read directly (here: a private engine on the vfs driver), analyze
 * streams the image from the engine instead, says why, and reports the same figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { BUSYBOX_IMAGE, ensureBusybox } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';

async function analyzeJson(args: string[]): Promise<{ code: number; doc: { result: { image: { source: string; note?: string }; totals: Record<string, number>; layers: { files: number; bytes: number }[] } } }> {
  let stdout = '';
  const code = await main(['--json', ...args], { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: () => undefined }, env: process.env });
  return { code, doc: JSON.parse(stdout) };
}

test('a vfs engine is streamed (/images/{name}/get) with the reason noted, and gives the same figures as overlay2', { timeout: 180_000 }, async () => {
  await ensureBusybox();
  const daemon = new PrivateDaemon({ storageDriver: 'vfs' });
  try {
    await daemon.start();
    await ensureBusybox(daemon.env);
    const onVfs = await analyzeJson(['--host', daemon.host, 'analyze', '-q', BUSYBOX_IMAGE]);
    assert.equal(onVfs.code, 0);
    assert.equal(onVfs.doc.result.image.source, 'engine-export');
    assert.match(onVfs.doc.result.image.note ?? '', /streamed from the engine: the storage driver is vfs, not overlay2/);
    const direct = await analyzeJson(['analyze', '-q', '--source', 'overlay2', BUSYBOX_IMAGE]);
    assert.equal(direct.doc.result.image.source, 'overlay2');
    const figures = (d: typeof direct.doc) => [d.result.totals.bytes, d.result.totals.finalPaths, d.result.layers.map((l) => [l.files, l.bytes])];
    assert.deepEqual(figures(onVfs.doc), figures(direct.doc));
    let stderr = '';
    const code = await main(['--host', daemon.host, 'analyze', '-q', '--source', 'overlay2', BUSYBOX_IMAGE],
      { stdout: { write: () => undefined }, stderr: { write: (t: string) => { stderr += t; } }, env: process.env });
    assert.equal(code, 4);
    assert.match(stderr, /cannot read .* from overlay2 directly: the storage driver is vfs/);
  } finally {
    await daemon.destroy();
  }
});
