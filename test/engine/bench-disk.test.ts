/** bench disk on real filesystems: fio when installed, the built-in probe, and the in-container comparison. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { pathWithout } from '../support/path-without.js';
import { schemaValidator } from '../support/json-schema.js';
import { BlkioThrottle, LoopDisk } from '../support/loop-disk.js';

/** What fio itself says it is: the oracle for the tool stowage names. */
const fioVersion = (() => { try { return execFileSync('fio', ['--version'], { encoding: 'utf8' }).trim(); } catch { return undefined; } })();


describe('stowage bench disk', () => {
  it('measures a directory with the built-in probe and leaves nothing behind', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-disk-'));
    try {
      const r = await runCli(['--json', 'bench', 'disk', dir, '--tool', 'built-in', '--runtime', '1s', '--sync-writes', '5']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(schemaValidator('bench-disk.schema.json')(doc), []);
      const res = doc.result;
      assert.equal(res.tool, 'built-in');
      assert.match(res.toolDetail, /--tool built-in/);
      assert.equal(res.syncWrite.writes, 5);
      assert.ok(res.syncWrite.p50Ms > 0 && res.syncWrite.p99Ms >= res.syncWrite.p50Ms);
      assert.ok(res.randomWrite.iops > 0);
      assert.ok(res.sequentialWrite.bytesPerSec > 0);
      assert.deepEqual(readdirSync(dir), [], 'probe files removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses fio when it is installed and says which', { timeout: 120_000 }, async () => {
    assert.ok(fioVersion, 'fio is installed (.ci/run installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-disk-'));
    try {
      const r = await runCli(['bench', 'disk', dir, '--runtime', '1s']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^ran: ${fioVersion!.replace(/[.]/g, '\\.')}\\b`, 'm'));
      // fio's binned p99 never reads above the max it measured exactly (issue 20: p99 5.9 ms, max 5.8 ms)
      const row = /^sync write 1.05 MB p99\s+([\d.]+) (µs|ms|s)\s+max ([\d.]+) (µs|ms|s) \(fio's binned percentiles, at most the max\)$/m.exec(r.stdout);
      assert.ok(row, r.stdout);
      const ms = (v: string, u: string) => Number(v) * ({ 'µs': 0.001, ms: 1, s: 1000 } as Record<string, number>)[u]!;
      assert.ok(ms(row[1]!, row[2]!) <= ms(row[3]!, row[4]!), row[0]);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the built-in probe and says why when fio is not on the PATH', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-disk-'));
    const path = pathWithout('fio');
    try {
      const r = await runCli(['bench', 'disk', dir, '--runtime', '1s'], { env: { PATH: path.dirs } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ran: built-in probe \(fio is not installed\)/m);
      assert.match(r.stdout, /sync write 1.05 MB p99/);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      path.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares the host with a container of the default engine, side by side', { timeout: 180_000 }, async () => {
    const image = await ensureBusybox();
    const before = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk']);
    const r = await runCli(['--json', 'bench', 'disk', '--runtime', '1s', '--in-container', '--image', image]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(schemaValidator('bench-disk.schema.json')(doc), []);
    const res = doc.result;
    const info = await docker(['info', '--format', '{{.DockerRootDir}}']);
    assert.equal(res.path, info.stdout.trim(), 'the data-root is the default path');
    const c = res.comparison;
    assert.equal(c.image, image);
    assert.match(c.upperDir, /\/diff$/, 'the container wrote in its overlay upper dir');
    for (const side of [c.host, c.container]) {
      assert.equal(side.syncWrite.count, 10);
      assert.ok(side.smallWritesPerSec > 0 && side.sequentialBytesPerSec > 0);
    }
    assert.equal(c.slowerBy.sequential, c.host.sequentialBytesPerSec / c.container.sequentialBytesPerSec, "rates: host/container, above 1 slower inside");
    const after = await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk']);
    assert.equal(after.stdout, before.stdout, 'probe container removed');
  });

  it('reports slow sync writes on a throttled loop-device filesystem', { timeout: 180_000 }, async () => {
    const disk = new LoopDisk(64).create();
    const throttle = new BlkioThrottle(disk.majorMinor, 5).create();
    try {
      const r = await runCli(['--json', 'bench', 'disk', disk.mountPoint, '--tool', 'built-in', '--runtime', '1s', '--sync-writes', '4', '--fail-on', 'warn'],
        { wrap: (cmd) => throttle.wrap(cmd) });
      assert.equal(r.code, 1, `a warn finding sets exit 1: ${r.stderr}`);
      const res = JSON.parse(r.stdout).result;
      assert.ok(res.syncWrite.p99Ms >= 100, `throttled sync writes are slow: ${res.syncWrite.p99Ms} ms`);
      const f = res.findings.find((x: { id: string }) => x.id === 'bench/slow-sync-writes');
      assert.ok(f, 'bench/slow-sync-writes');
      assert.equal(res.device.device, disk.device.replace('/dev/', ''));
    } finally {
      disk.destroy();
      throttle.destroy();
    }
  });
});
