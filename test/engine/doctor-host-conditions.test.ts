/**
 * doctor under real host conditions: data-root on a loop-device filesystem, a crashed daemon, a wrong
 * socket, a denied socket, and a disk throttled with cgroup v1 blkio so sync writes crawl.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctor } from '../../src/doctor/doctor.js';
import { describeChain } from '../../src/host/block-device.js';
import { BlkioThrottle, LoopDisk } from '../support/loop-disk.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

describe('doctor and the disk under data-root', () => {
  it('resolves a loop-device data-root to its backing file and names it', async () => {
    const disk = new LoopDisk(512).create();
    const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
    try {
      await daemon.start();
      const report = await runDoctor({ connect: { host: daemon.host }, only: ['disk'] });
      const device = report.facts.disk?.device;
      assert.ok(device, 'device resolved');
      assert.equal(device.kind, 'loop');
      assert.equal(`/dev/${device.name}`, disk.device);
      assert.equal(device.detail, disk.image, 'the chain ends in the backing file');
      assert.ok(device.parents.length === 1 && device.parents[0]!.name, `the file's own device is resolved: ${describeChain(device)}`);
      const f = report.findings.find((x) => x.id === 'disk/loop-device');
      assert.ok(f, 'loop-backed data-root is a finding');
      assert.equal(f.evidence.find((e) => e.label === 'backing file')?.value, disk.image);
      assert.ok(!report.findings.some((x) => x.id === 'disk/shared-root-fs'), 'a separate filesystem is not the root one');
    } finally {
      await daemon.destroy();
      disk.destroy();
    }
  });

  it('reports slow sync writes on a disk throttled with blkio', async () => {
    const disk = new LoopDisk(256).create();
    const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker') });
    // 1 MiB/s and 4 writes/s: ten 1 MiB O_DSYNC writes need at least ten seconds
    const throttle = new BlkioThrottle(disk.majorMinor, 4, 1024 * 1024);
    try {
      throttle.create();
      await daemon.start();
      const result = await runCli(['--host', daemon.host, 'doctor', '--json', '--only', 'io', '--window', '200'],
        { wrap: (cmd) => throttle.wrap(cmd) });
      assert.equal(result.code, 1, `exit 1 on an error finding; stderr: ${result.stderr}`);
      const doc = JSON.parse(result.stdout);
      const f = doc.result.findings.find((x: { id: string }) => x.id === 'io/slow-sync-write');
      assert.ok(f, `slow sync write named; got ${doc.result.findings.map((x: { id: string }) => x.id)}`);
      assert.equal(f.severity, 'error');
      assert.ok(doc.result.facts.io.syncWrite.totalMs > 5000);
      const unthrottled = await runDoctor({ connect: { host: daemon.host }, only: ['io'], windowMs: 100 });
      assert.ok(!unthrottled.findings.some((x) => x.id === 'io/slow-sync-write' && x.severity === 'error'),
        'the same disk without the limit is not slow');
    } finally {
      throttle.destroy();
      await daemon.destroy();
      disk.destroy();
    }
  });
});

describe('doctor and d_type', () => {
  it('explains a silent fallback to vfs by the missing d_type of an ext4 made without filetype', async () => {
    const disk = new LoopDisk(256, 'ext4', ['-O', '^filetype']).create();
    const daemon = new PrivateDaemon({ dataRoot: join(disk.mountPoint, 'docker'), storageDriver: null });
    try {
      await daemon.start();
      const report = await runDoctor({ connect: { host: daemon.host }, only: ['engine'] });
      assert.equal(report.facts.engine.reachable && report.facts.engine.info.storageDriver, 'vfs', 'dockerd fell back to vfs');
      const f = report.findings.find((x) => x.id === 'engine/vfs-driver');
      assert.ok(f, `vfs named; got ${report.findings.map((x) => x.id)}`);
      assert.equal(f.severity, 'error');
      assert.match(f.title, /no d_type/);
      assert.equal(f.evidence.find((e) => e.label === 'probe')?.value, `tune2fs -l ${disk.device}: no filetype feature`);
    } finally {
      await daemon.destroy();
      disk.destroy();
    }
  });
});

describe('doctor without a working engine', () => {
  it('reports a crashed daemon (stale socket) as not running and still checks the host', async () => {
    const daemon = new PrivateDaemon();
    try {
      await daemon.start();
      await daemon.kill();
      const result = await runCli(['--host', daemon.host, 'doctor', '--json', '--window', '100']);
      assert.equal(result.code, 1, result.stderr);
      const doc = JSON.parse(result.stdout);
      const f = doc.result.findings.find((x: { id: string }) => x.id === 'engine/not-running');
      assert.ok(f, `not running named; got ${doc.result.findings.map((x: { id: string }) => x.id)}`);
      assert.ok(f.fix.summary.length > 0);
      assert.ok(doc.result.facts.disk, 'host checks still ran');
      assert.deepEqual(schemaValidator('doctor.schema.json')(doc), []);
      assert.ok(doc.result.facts.skipped.some((s: { group: string }) => s.group === 'space'));
      assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace');
    } finally {
      await daemon.destroy();
    }
  });

  it('reports a wrong socket path as missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-nosock-'));
    try {
      const result = await runCli(['--host', `unix://${dir}/docker.sock`, 'doctor', '--skip', 'io']);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /engine\/socket-missing/);
      assert.match(result.stdout, new RegExp(`no Docker socket at ${dir}/docker.sock`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a socket it may not open as permission denied', async () => {
    const daemon = new PrivateDaemon();
    try {
      await daemon.start();
      chmodSync(daemon.socket, 0o600);
      chmodSync(daemon.dir, 0o755);
      // root bypasses file modes, so run doctor as an unprivileged user
      const result = await runCli(['--host', daemon.host, 'doctor', '--json', '--only', 'engine'],
        { wrap: (cmd) => ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd] });
      const doc = JSON.parse(result.stdout);
      assert.ok(doc.result.findings.some((x: { id: string }) => x.id === 'engine/permission-denied'),
        `permission denied named; got ${result.stdout} ${result.stderr}`);
    } finally {
      await daemon.destroy();
    }
  });

  it('does not judge this host\'s disk for an engine on another host, even one that is down', async () => {
    const report = await runDoctor({ connect: { host: 'tcp://127.0.0.1:1' } });
    assert.equal(report.facts.engine.reachable, false);
    assert.ok(report.findings.some((f) => f.id === 'engine/connection-refused'));
    assert.equal(report.facts.disk, undefined);
    assert.equal(report.facts.io, undefined);
    assert.match(report.facts.skipped.find((x) => x.group === 'disk')?.reason ?? '', /remote \(tcp:\/\/127.0.0.1:1\)/);
  });

  it('is a usage error (exit 2) to name an unknown check group', async () => {
    const result = await runCli(['doctor', '--only', 'nonsense']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown check group "nonsense"/);
  });
});

