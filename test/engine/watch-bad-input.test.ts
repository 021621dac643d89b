/** `stowage watch` on bad input: one clear line on stderr, the documented exit code, never a stack trace. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.js';
import { unmountAll } from '../support/mounts.js';

function expectError(r: { code: number; stderr: string }, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr.split('\n')[0]!, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('stowage watch: bad input', () => {
  it('rejects an unknown burst model, incomplete custom numbers, a bad size and a bad address as usage errors (exit 2)', async () => {
    expectError(await runCli(['watch', '--once', '--burst-model', 'gp3']), 2,
      /^stowage: --burst-model takes auto, gp2, azure-premium, azure-standard, custom, none, not "gp3"$/);
    expectError(await runCli(['watch', '--once', '--burst-model', 'custom', '--baseline-iops', '100']), 2,
      /^stowage: --burst-model custom needs --baseline-iops, --burst-iops and --bucket-credits$/);
    expectError(await runCli(['watch', '--once', '--baseline-iops', '100']), 2, /go with --burst-model custom/);
    expectError(await runCli(['watch', '--once', '--burst-model', 'gp2', '--size', 'big']), 2, /^stowage: --size takes a volume size in GiB/);
    expectError(await runCli(['watch', '--once', '--listen', '9323']), 2, /^stowage: --listen takes HOST:PORT such as 127.0.0.1:9323, not "9323"$/);
    expectError(await runCli(['watch', '--once', '--count', '3']), 2, /give --once or --count, not both/);
    const json = await runCli(['watch', '--json', '--once', '--burst-model', 'gp3']);
    assert.equal(json.code, 2);
    const doc = JSON.parse(json.stdout) as { command: string; error: { code: string; exitCode: number } };
    assert.deepEqual([doc.command, doc.error.code, doc.error.exitCode], ['watch', 'usage', 2]);
  });

  it('refuses a port in use (exit 5) and names it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const { port } = holder.address() as { port: number };
    try {
      expectError(await runCli(['watch', '--once', '--data-root', dir, '--listen', `127.0.0.1:${port}`]), 5,
        new RegExp(`^stowage: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use$`));
    } finally {
      await new Promise((r) => holder.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a textfile directory that is missing (exit 4) or read-only (exit 6), before watching', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    try {
      expectError(await runCli(['watch', '--once', '--data-root', dir, '--textfile', join(dir, 'nope')]), 4, /^stowage: --textfile .*\/nope: no such directory$/);
      writeFileSync(join(dir, 'file'), '');
      expectError(await runCli(['watch', '--once', '--data-root', dir, '--textfile', join(dir, 'file')]), 4, /not a directory$/);
      // root writes through permission bits, so the directory is a read-only mount
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'stowage-watch-ro', ro], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
      expectError(await runCli(['watch', '--once', '--data-root', dir, '--textfile', ro]), 6,
        new RegExp(`^stowage: cannot write ${ro}/stowage.prom: read-only filesystem$`));
      assert.deepEqual(readdirSync(ro), []);
    } finally {
      assert.deepEqual(unmountAll(dir), []);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a device that does not exist and a data-root that cannot be read (exit 4)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-'));
    try {
      expectError(await runCli(['watch', '--once', '--data-root', dir, '--device', 'nosuchdisk0']), 4, /^stowage: no block device nosuchdisk0 in \/proc\/diskstats$/);
      expectError(await runCli(['watch', '--once', '--data-root', join(dir, 'missing')]), 4, /^stowage: cannot read the filesystem of .*\/missing$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
