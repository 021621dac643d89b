import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, HostError } from '../../src/errors.js';
import { createToolRunner, hostTools, ToolFailedError, ToolMissingError, ToolTimeoutError } from '../../src/host/tool-runner.js';

test('a tool that succeeds gives its exit status and output', async () => {
  const ok = await hostTools.run({ tool: 'true', args: [], timeoutMs: 5000 });
  assert.equal(ok.code, 0);
  assert.equal(ok.timedOut, false);
  const echo = await hostTools.run({ tool: 'sh', args: ['-c', 'printf "a\\nb"'], timeoutMs: 5000 });
  assert.equal(echo.stdout.toString(), 'a\nb');
});

test('a failing tool is a typed host error carrying its exit status and stderr', async () => {
  await assert.rejects(hostTools.run({ tool: 'false', args: [], timeoutMs: 5000 }), (err: unknown) => {
    assert.ok(err instanceof ToolFailedError);
    assert.equal(err.code, 1);
    assert.equal(err.exitCode, ExitCode.hostFailure);
    assert.equal(err.message, 'false failed (exit 1)');
    return true;
  });
  await assert.rejects(hostTools.run({ tool: 'sh', args: ['-c', 'echo "no space left" >&2; echo more >&2; exit 3'], timeoutMs: 5000 }), (err: unknown) => {
    assert.ok(err instanceof ToolFailedError);
    assert.equal(err.code, 3);
    assert.equal(err.stderr, 'no space left\nmore\n');
    assert.equal(err.message, 'sh failed (exit 3): no space left');
    return true;
  });
  const unchecked = await hostTools.run({ tool: 'false', args: [], timeoutMs: 5000, check: false });
  assert.equal(unchecked.code, 1, 'check: false returns the failure as a result');
});

test('a tool past its deadline is killed and reported, quickly', async () => {
  const started = performance.now();
  await assert.rejects(hostTools.run({ tool: 'sleep', args: ['30'], timeoutMs: 200 }), (err: unknown) => {
    assert.ok(err instanceof ToolTimeoutError);
    assert.equal(err.timeoutMs, 200);
    assert.match(err.message, /^sleep did not finish within 200 ms/);
    return true;
  });
  assert.ok(performance.now() - started < 10_000, 'sleep 30 did not run to its end');
  const unchecked = await hostTools.run({ tool: 'sleep', args: ['30'], timeoutMs: 200, check: false });
  assert.equal(unchecked.timedOut, true);
  assert.equal(unchecked.code, -1);
});

test('a missing tool says it is not installed and which Debian package has it', async () => {
  await assert.rejects(hostTools.run({ tool: 'stowage-no-such-tool', args: [], timeoutMs: 5000 }), (err: unknown) => {
    assert.ok(err instanceof ToolMissingError);
    assert.equal(err.message, 'stowage-no-such-tool is not installed');
    assert.equal(err.hint, 'Install the package that provides stowage-no-such-tool.');
    return true;
  });
  const noPath = await hostTools.run({ tool: 'mdadm', args: ['--version'], timeoutMs: 5000, env: { PATH: '/nonexistent' } }).catch((e: unknown) => e);
  assert.ok(noPath instanceof ToolMissingError);
  assert.equal(noPath.hint, 'Install it: apt-get install mdadm');
});

test('a missing working directory is not mistaken for a missing tool', async () => {
  const err = await hostTools.run({ tool: 'true', args: [], cwd: '/nonexistent/stowage-dir', timeoutMs: 5000 }).catch((e: unknown) => e);
  assert.ok(err instanceof HostError);
  assert.ok(!(err instanceof ToolMissingError));
});

test('an abort kills the tool and rejects with the signal\'s reason', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 100);
  const started = performance.now();
  await assert.rejects(hostTools.run({ tool: 'sleep', args: ['30'], timeoutMs: 60_000, signal: controller.signal }), /stop/);
  assert.ok(performance.now() - started < 10_000);
});

test('a dry run records each command in order and runs none', async () => {
  const runner = createToolRunner({ dryRun: true });
  const marker = `/tmp/stowage-dry-run-${process.pid}`;
  await runner.run({ tool: 'touch', args: [marker], timeoutMs: 5000 });
  await runner.run({ tool: 'false', args: [], cwd: '/', timeoutMs: 5000 });
  assert.deepEqual(runner.recorded, [{ tool: 'touch', args: [marker] }, { tool: 'false', args: [], cwd: '/' }]);
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(marker), false, 'nothing ran');
});
