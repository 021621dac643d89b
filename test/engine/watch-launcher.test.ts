/**
 * bin/stowage run as a program (npm's link, the DaemonSet's entrypoint) is read by sh first: its line 2 starts
 * `stowage watch` under node's --single-threaded, so that glibc keeps no per-thread malloc arenas for V8's
 * workers in a run of days (README, watch, "Memory"), and every other command without it. `node bin/stowage`,
 * as the other tests run it, reads the same file as JavaScript. The flag is read from /proc/PID/cmdline: sh
 * execs node in the same process.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOWAGE_BIN } from '../support/run-cli.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The command line of `child` once node has replaced sh in it (within 10 s), split at its NULs. */
async function nodeCommandLine(child: ChildProcess): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    if (/(^|\/)node$/.test(argv[0]!)) return argv.slice(0, -1);
    await sleep(20);
  }
  throw new Error(`sh did not exec node: ${readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')}`);
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.once('close', (code) => r(code)));

describe('bin/stowage as a program', () => {
  it('starts watch under node --single-threaded', { timeout: 60_000 }, async () => {
    const child = spawn(STOWAGE_BIN, ['watch', '--count', '3', '--interval', '1s', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    const done = exited(child);
    const argv = await nodeCommandLine(child);
    assert.deepEqual(argv.slice(1), ['--single-threaded', '--max-semi-space-size=1', STOWAGE_BIN, 'watch', '--count', '3', '--interval', '1s', '--quiet']);
    assert.equal(await done, 0, stderr);
  });

  it('starts other commands without the flag, and node runs the same file as JavaScript', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-launcher-'));
    try {
      // a lint of a named pipe waits for its writer: long enough to read the command line
      const fifo = join(dir, 'Dockerfile');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const child = spawn(STOWAGE_BIN, ['lint', '--no-engine', '--json', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
      const done = exited(child);
      const argv = await nodeCommandLine(child);
      assert.deepEqual(argv.slice(1), [STOWAGE_BIN, 'lint', '--no-engine', '--json', fifo]);
      writeFileSync(fifo, 'FROM busybox:1.36\n');
      assert.equal(await done, 0);
      assert.equal((JSON.parse(stdout) as { command: string }).command, 'lint');
      const asScript = spawnSync(process.execPath, [STOWAGE_BIN, '--version'], { encoding: 'utf8' });
      assert.equal(asScript.status, 0, asScript.stderr);
      assert.match(asScript.stdout, /^\d+\.\d+\.\d+\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
