/**
 * Ctrl-C during `bench disk --in-container` (a note of issue 20's work): the probe is stopped at once, its
 * container and its probe directory are removed, and stowage exits 130. The container's probe runs limited
 * to 1 write IOPS, so it is still running when the signal comes; before the fix stowage waited for it (minutes)
 * and a second Ctrl-C left the container and the directory behind. Judged by `docker ps` and the data-root's
 * directory listing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { STOWAGE_BIN } from '../support/run-cli.js';

describe('bench disk --in-container, interrupted', () => {
  it('stops the running probe on the first Ctrl-C, removes its container and files, exits 130', { timeout: 240_000 }, async () => {
    const image = await ensureBusybox();
    const root = (await docker(['info', '-f', '{{.DockerRootDir}}'])).stdout.trim();
    const probeDirs = () => readdirSync(root).filter((n) => n.startsWith('.stowage-probe-')).sort();
    const containers = async () => (await docker(['ps', '-aq', '--filter', 'label=stowage.bench=disk'])).stdout.trim();
    const dirsBefore = probeDirs();
    const containersBefore = await containers();

    const child = spawn(process.execPath, [STOWAGE_BIN, '--progress', 'ndjson', 'bench', 'disk', '--tool', 'built-in', '--runtime', '1s',
      '--sync-writes', '3', '--in-container', '--image', image, '--write-iops', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let signalledAt = 0;
    let running = false;
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    let partial = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue; // a plain message (the error at the end)
        const event = JSON.parse(line) as { step?: string; detail?: { stage?: string } };
        // the container's probe has started writing: interrupt it there
        if (!running && event.step?.startsWith('in-container probe 2/2') && event.detail?.stage && event.detail.stage !== 'starting') {
          running = true;
          signalledAt = Date.now();
          child.kill('SIGINT');
        }
      }
    });
    const code = await exited;
    clearTimeout(killer);
    assert.ok(running, `the container's probe was seen running before the signal:\n${stderr.slice(-2000)}`);
    assert.equal(code, 130, stderr.slice(-2000));
    assert.ok(Date.now() - signalledAt < 60_000, `exited ${Date.now() - signalledAt} ms after Ctrl-C`);
    assert.match(stderr, /interrupted/);
    assert.equal(await containers(), containersBefore, 'the probe container is removed');
    assert.deepEqual(probeDirs(), dirsBefore, 'no .stowage-probe-* directory left in the data-root');
  });
});
