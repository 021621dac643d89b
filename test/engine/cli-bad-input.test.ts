/**
 * What a newcomer hit (issue 20, "Exit codes and bad input"): a layer that does not exist, a platform the
 * image is not for, and an engine on 127.0.0.1 taken for a remote one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLocalEndpoint, parseHostUrl } from '../../src/engine/endpoint.js';
import { runCli } from '../support/run-cli.js';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';

describe('bad input is refused with the documented exit code', { timeout: 300_000 }, () => {
  const tag = `${uniqueName('stowage-test/bad-input')}:latest`;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bad-input-'));

  before(async () => {
    await ensureBusybox();
    // busybox's one layer and four more: 5 layers
    await buildImage(tag, 'FROM stowage-test/busybox:latest\nRUN echo 1 > /1\nRUN echo 2 > /2\nRUN echo 3 > /3\nRUN echo 4 > /4\n');
  });
  after(async () => {
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('analyze --paths added --layer 9 on a 5-layer image: exit 2, as flatten --from-layer 9', async () => {
    const layers = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', tag])).stdout) as string[];
    assert.equal(layers.length, 5, 'Docker says 5 layers');
    const r = await runCli(['analyze', '--paths', 'added', '--layer', '9', tag]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^stowage: --layer takes 0\.\.4 for this image \(5 layers\), not 9\n/m);
    assert.equal(r.stdout, '');
    const ok = await runCli(['analyze', '-q', '--paths', 'added', '--layer', '4', tag]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /\/4/);
    const flatten = await runCli(['flatten', '--from-layer', '9', '-o', join(dir, 'x.tar'), tag]);
    assert.equal(flatten.code, 2);
    assert.match(flatten.stderr, /--from-layer takes 0\.\.4/);
  });

  test('analyze --platform names a platform the OCI layout does not have: exit 4, not the other platform', async () => {
    const arch = (await docker(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', tag])).stdout.trim();
    const other = arch === 'linux/arm64' ? 'linux/amd64' : 'linux/arm64';
    const layout = join(dir, 'layout');
    const written = await runCli(['-q', 'flatten', '--oci', layout, tag]);
    assert.equal(written.code, 0, written.stderr);
    // layouts written by other tools often leave the platform out of index.json: only the config then says it
    const indexPath = join(layout, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: { platform?: unknown }[] };
    for (const m of index.manifests) delete m.platform;
    writeFileSync(indexPath, JSON.stringify(index));
    const r = await runCli(['analyze', '--platform', other, layout]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`no manifest for platform ${other}; the image is ${arch}`));
    assert.equal(r.stdout, '');
    const same = await runCli(['-q', 'analyze', '--platform', arch, layout]);
    assert.equal(same.code, 0, same.stderr);
  });

  test('an engine on tcp://127.0.0.1 or localhost is this host: doctor runs its disk checks', async () => {
    for (const url of ['tcp://127.0.0.1:2375', 'tcp://localhost:2376', 'tcp://[::1]:2375', 'ssh://root@127.0.0.1', 'unix:///var/run/docker.sock']) {
      assert.equal(isLocalEndpoint({ url, transport: parseHostUrl(url, { env: {}, homeDir: '/root' }), source: 'test', skipped: [] }), true, url);
    }
    for (const url of ['tcp://192.0.2.1:2375', 'tcp://build-7:2376', 'ssh://ops@build-7', 'tcp://10.0.0.1:2375']) {
      assert.equal(isLocalEndpoint({ url, transport: parseHostUrl(url, { env: {}, homeDir: '/root' }), source: 'test', skipped: [] }), false, url);
    }
    // port 1 refuses: the engine is down, but it would be this host's, so this host's disk is judged
    const r = await runCli(['--json', '-H', 'tcp://127.0.0.1:1', 'doctor', '--only', 'disk']);
    const doc = JSON.parse(r.stdout) as { result: { facts: { engine: { reachable: boolean }; disk?: unknown; skipped: { group: string; reason: string }[] } } };
    assert.equal(doc.result.facts.engine.reachable, false);
    assert.deepEqual(doc.result.facts.skipped.filter((s) => /remote/.test(s.reason)), []);
    assert.ok(doc.result.facts.disk, 'the disk under data-root was read');
  });
});
