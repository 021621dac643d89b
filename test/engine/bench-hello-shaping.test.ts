/**
 * bench hello's --bandwidth/--latency: the registry in its own network namespace behind a tbf-shaped veth
 * pair. Oracles: the registry's manifest (the compressed bytes a pull fetches), the wall clock of the engine's
 * pull against size/rate, `ip netns`, `ip link` and `tc` for what is left behind, and the round trip of a
 * request to the registry against the added latency.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs, docker, removeImages, uniqueName } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { capabilityContext } from '../../src/context.js';
import { runHelloBench } from '../../src/bench/hello/hello-bench.js';
import { parseReadyRule } from '../../src/bench/hello/ready-rule.js';
import { startRegistryServer } from '../../src/host/registry-server.js';

/** What the shaping could leave behind on the host: namespaces, veth ends, loopback's qdisc, registry dirs. */
function hostNetState(): { netns: string[]; links: string[]; lo: string; registryDirs: string[] } {
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`stowage-hello-${process.pid}-`));
  const links = (JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as { ifname: string }[])
    .map((l) => l.ifname).filter((n) => /^stw[hn][0-9a-f]{6}$/.test(n));
  const lo = spawnSync('tc', ['qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' }).stdout.trim();
  // this process's only: a bench running beside the test makes its own
  const registryDirs = readdirSync(tmpdir()).filter((d) => d.startsWith(`stowage-registry-${process.pid}-`));
  return { netns, links, lo, registryDirs };
}

describe('bench hello: --bandwidth and --latency shape the registry traffic only', () => {
  const made: string[] = [];
  const dirs: string[] = [];
  after(async () => {
    await removeImages(made);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a pull of a known-size image takes about its size over the rate, where loopback is much faster; nothing is left behind', { timeout: 300_000 }, async (t) => {
    const tag = `${uniqueName('stowage-hello-shaped')}:1`;
    made.push(tag);
    // random bytes do not compress: the pull fetches about as many bytes as the layer has
    const rootfs = busyboxRootfs();
    dirs.push(rootfs);
    writeFileSync(join(rootfs, 'payload'), randomBytes(12 * 1024 * 1024));
    writeFileSync(join(rootfs, 'marker'), `${tag}\n`);
    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    await docker(['import', '-c', 'ENV PATH=/bin', '-c', 'CMD ["/bin/true"]', '-', tag], { input: tar.stdout });
    const before = hostNetState();
    const rateBitsPerSec = 16e6;
    const result = await runHelloBench({
      images: [{ name: tag, image: tag, rule: parseReadyRule('exit') }], repetitions: 1, bytesRead: false, shape: { rateBitsPerSec },
    }, capabilityContext({ connect: { timeoutMs: 300_000 } }));
    const r = result.images[0]!;
    assert.equal(r.error, undefined);
    const shaping = result.registry.shaping!;
    assert.equal(shaping.rateBitsPerSec, rateBitsPerSec);
    assert.equal(shaping.qdiscs.length, 2);
    for (const q of shaping.qdiscs) assert.match(q, /tbf .*rate 16Mbit/, q);
    assert.match(result.registry.address, /^127\.0\.0\.1:\d+$/);
    // pulledBytes is the manifest's: config plus the compressed layer, about 13 MB here
    const expectedMs = (r.pulledBytes! * 8 / rateBitsPerSec) * 1000;
    assert.ok(r.pulledBytes! > 12 * 1024 * 1024, `pulled ${r.pulledBytes}`);
    const run = r.runs[0]!;
    // on loopback unshaped this pull takes about a second; shaped it cannot beat the link
    assert.ok(run.pullMs >= 0.9 * expectedMs, `pull took ${run.pullMs} ms, size/rate is ${expectedMs} ms`);
    assert.ok(run.pullMs <= 3 * expectedMs + 10_000, `pull took ${run.pullMs} ms, size/rate is ${expectedMs} ms`);
    assert.ok(run.pushMs >= 0.9 * expectedMs, `push took ${run.pushMs} ms, size/rate is ${expectedMs} ms`);
    assert.deepEqual(hostNetState(), before);
    // the baseline in the same test: the same image through an unshaped registry on loopback
    const plain = await runHelloBench({
      images: [{ name: tag, image: tag, rule: parseReadyRule('exit') }], repetitions: 1, bytesRead: false,
    }, capabilityContext({ connect: { timeoutMs: 300_000 } }));
    const plainPull = plain.images[0]!.runs[0]!.pullMs;
    t.diagnostic(`${r.pulledBytes} bytes at ${rateBitsPerSec / 1e6} Mbit/s: size/rate ${expectedMs.toFixed(0)} ms, shaped pull ${run.pullMs.toFixed(0)} ms, push ${run.pushMs.toFixed(0)} ms; unshaped pull ${plainPull.toFixed(0)} ms`);
    assert.ok(run.pullMs >= 2 * plainPull, `shaped pull ${run.pullMs} ms against ${plainPull} ms on loopback`);
  });

  it('--latency adds its round trip to each request to the registry; stop removes the namespace', { timeout: 60_000 }, async (t) => {
    const before = hostNetState();
    const server = await startRegistryServer({ shape: { latencyMs: 400 } });
    try {
      assert.notDeepEqual(hostNetState().netns, before.netns, 'the registry runs in a namespace of its own');
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const status = await fetch(`http://${server.address}/v2/`).then((res) => res.status);
        times.push(performance.now() - t);
        assert.equal(status, 200);
      }
      t.diagnostic(`GET /v2/ at --latency 400: ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
      // one request is at least one round trip: 400 ms, where loopback answers in a few ms
      assert.ok(Math.min(...times) >= 390, `requests took ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    } finally {
      await server.stop();
    }
    assert.deepEqual(hostNetState(), before);
  });

  it('refuses --bandwidth with --registry, and a rate it cannot read', async () => {
    const withRegistry = await runCli(['bench', 'hello', 'x:1', '--registry', '127.0.0.1:5000', '--bandwidth', '10mbit']);
    assert.equal(withRegistry.code, 2, withRegistry.stderr);
    assert.match(withRegistry.stderr, /leave out --registry/);
    const bad = await runCli(['bench', 'hello', 'x:1', '--bandwidth', 'fast']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--bandwidth takes a rate like 100mbit/);
  });
});
