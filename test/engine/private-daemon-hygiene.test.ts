/**
 * Private engines leave the host as they found it: the host's docker0 and its bridge-networked containers
 * keep working while one runs, and its bridge, processes, mounts and directory go when it is destroyed, when
 * it fails to start, when its test process is killed or exits without destroying it, and (swept by the next
 * run) when that process was killed outright. Loop disks and registries go with a killed process too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { PrivateDaemon, processesMentioning, sweepStalePrivateDaemons } from '../support/private-daemon.js';

const linkExists = (name: string) => spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
const moduleUrl = new URL('../support/private-daemon.js', import.meta.url).href;

function assertGone(d: { dir: string; bridge: string }): void {
  assert.equal(linkExists(d.bridge), false, `bridge ${d.bridge} deleted`);
  assert.equal(existsSync(d.dir), false, `${d.dir} removed`);
  assert.deepEqual(processesMentioning(d.dir), [], 'no dockerd, containerd or shim of it left');
}

/** Runs a node process that starts a private daemon, prints its dir and bridge, then does `then`. */
function childWithDaemon(then: string): Promise<{ dir: string; bridge: string; code: number | null; signal: string | null; kill: () => void; exited: Promise<void> }> {
  const script = `import { PrivateDaemon } from ${JSON.stringify(moduleUrl)};
const d = new PrivateDaemon({ storageDriver: 'vfs' });
await d.start();
console.log(JSON.stringify({ dir: d.dir, bridge: d.bridge }));
${then}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const state = { code: null as number | null, signal: null as string | null };
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => { state.code = code; state.signal = signal; resolve(); }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const { dir, bridge } = JSON.parse(out.split('\n')[0]!) as { dir: string; bridge: string };
      resolve({ dir, bridge, get code() { return state.code; }, get signal() { return state.signal; }, kill: () => child.kill('SIGTERM'), exited });
    });
    child.once('exit', () => { if (!out.includes('\n')) reject(new Error('the child exited before its daemon started')); });
  });
}

describe('private engines and the host network', () => {
  it('leave docker0 and bridge-networked containers of the host engine working, and delete their own bridge', { timeout: 180_000 }, async () => {
    const image = await ensureBusybox();
    const daemon = new PrivateDaemon();
    try {
      await daemon.start();
      assert.ok(linkExists(daemon.bridge), 'the private engine runs on a bridge of its own');
      const own = await docker(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge'], { env: daemon.env });
      assert.equal(own.stdout.trim(), daemon.bridge);
      // the host engine, while the private one runs
      const run = await docker(['run', '--rm', '--network', 'bridge', image, 'true'], { allowFailure: true });
      assert.equal(run.code, 0, `a bridge-networked container on the host engine: ${run.stderr}`);
    } finally {
      await daemon.destroy();
    }
    assertGone(daemon);
    assert.ok(linkExists('docker0'), 'the host engine keeps docker0');
    const after = await docker(['run', '--rm', '--network', 'bridge', image, 'true'], { allowFailure: true });
    assert.equal(after.code, 0, `a bridge-networked container on the host engine after destroy: ${after.stderr}`);
  });

  it('removes everything when dockerd fails to start', { timeout: 60_000 }, async () => {
    const daemon = new PrivateDaemon({ storageDriver: 'no-such-driver' });
    await assert.rejects(daemon.start(), /private dockerd stw\d+-[0-9a-f]{4} exited during start[^]*no-such-driver/);
    assertGone(daemon);
  });

  it('removes everything when its test process is killed', { timeout: 120_000 }, async () => {
    const child = await childWithDaemon('setInterval(() => {}, 1000);');
    assert.ok(linkExists(child.bridge) && existsSync(child.dir));
    child.kill();
    await child.exited;
    assert.equal(child.code, 143, 'the process exits with the signal\'s status after cleaning up');
    assertGone(child);
  });

  it('removes everything when its test process ends without destroying it (a timed-out test)', { timeout: 120_000 }, async () => {
    const child = await childWithDaemon('');
    await child.exited;
    assert.equal(child.code, 0);
    assertGone(child);
  });

  it('detaches a loop disk and stops a registry whose test process is killed', { timeout: 60_000 }, async () => {
    const script = `import { LoopDisk } from ${JSON.stringify(new URL('../support/loop-disk.js', import.meta.url).href)};
import { LocalRegistry } from ${JSON.stringify(new URL('../support/local-registry.js', import.meta.url).href)};
const disk = new LoopDisk(16).create();
const registry = await new LocalRegistry().start();
console.log(JSON.stringify({ device: disk.device, image: disk.image, dir: disk.dir, registryDir: registry.dir }));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]!); });
      child.once('exit', () => reject(new Error('the child exited before its disk was made')));
    });
    const made = JSON.parse(line) as { device: string; image: string; dir: string; registryDir: string };
    assert.match(spawnSync('losetup', ['-n', '-O', 'BACK-FILE', made.device], { encoding: 'utf8' }).stdout, new RegExp(made.image));
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.equal(spawnSync('losetup', ['-n', '-O', 'BACK-FILE', made.device], { encoding: 'utf8' }).stdout.includes(made.image), false, `${made.device} detached`);
    assert.equal(existsSync(made.dir), false, `${made.dir} removed`);
    assert.equal(existsSync(made.registryDir), false, `${made.registryDir} removed`);
    assert.deepEqual(processesMentioning(made.registryDir), [], 'docker-registry stopped');
  });

  it('sweeps the bridge and directory of a run that was killed outright, and leaves a live run\'s', () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    const staleBridge = `stw${deadPid}-beef`;
    const liveBridge = `stw${process.pid}-beef`;
    const staleDir = mkdtempSync(join(tmpdir(), `stowage-dockerd-${staleBridge}-`));
    mkdirSync(join(staleDir, 'data'));
    for (const name of [staleBridge, liveBridge]) spawnSync('ip', ['link', 'add', name, 'type', 'bridge'], { stdio: 'inherit' });
    try {
      const removed = sweepStalePrivateDaemons();
      assert.ok(removed.includes(staleBridge) && removed.includes(staleDir), JSON.stringify(removed));
      assert.equal(linkExists(staleBridge), false);
      assert.equal(existsSync(staleDir), false);
      assert.ok(linkExists(liveBridge), 'a bridge whose process lives stays');
      assert.ok(!removed.includes(liveBridge));
    } finally {
      for (const name of [staleBridge, liveBridge]) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
      spawnSync('rm', ['-rf', staleDir]);
    }
  });
});

