import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { flagWording } from '../../src/cli/option-flags.js';
import { ERROR_CODES, ExitCode } from '../../src/errors.js';
import { VerificationError } from '../../src/flatten/verification-error.js';
import { schemaValidator } from '../support/json-schema.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } }, env: {} };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

test('an unknown command is a usage error, with or without --help', async () => {
  for (const argv of [['nosuch'], ['nosuch', '--help'], ['--json', 'nosuch', '--help'], ['help', 'nosuch']]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /^stowage: unknown command "nosuch"\n/, argv.join(' '));
    assert.doesNotMatch(r.stdout, /Usage:/, 'no general help that would read as success');
  }
  assert.equal((await run(['doctor', '--help'])).code, 0, 'a known command\'s help still exits 0');
});

test('under --json an error is one document on stdout that validates, with the text on stderr', async () => {
  const validate = schemaValidator('error.schema.json');
  const cases: { argv: string[]; exit: number; code: string; message: RegExp }[] = [
    { argv: ['--json', 'nosuch'], exit: 2, code: 'usage', message: /unknown command "nosuch"/ },
    { argv: ['--json', 'doctor', '--window', 'soon'], exit: 2, code: 'usage', message: /--window/ },
    { argv: ['--json', 'doctor', '--no-such-flag'], exit: 2, code: 'usage', message: /unknown option '--no-such-flag'/ },
    { argv: ['--json', 'analyze', '/nonexistent/stowage-image.tar'], exit: 4, code: 'bad-input', message: /stowage-image\.tar/ },
  ];
  for (const [argv, message] of [[['--json'], 'no command given'], [['--json', 'bench'], 'bench: a subcommand is required']] as const) {
    const r = await run([...argv]);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout) as { error: { message: string } };
    assert.deepEqual(validate(doc), []);
    assert.equal(doc.error.message, message, 'help shown for a missing command is a usage error with words, not "(outputHelp)"');
  }
  for (const c of cases) {
    const r = await run(c.argv);
    assert.equal(r.code, c.exit, c.argv.join(' '));
    const doc = JSON.parse(r.stdout) as { command: string | null; error: { code: string; exitCode: number; message: string } };
    assert.deepEqual(validate(doc), [], c.argv.join(' '));
    assert.equal(doc.error.code, c.code);
    assert.equal(doc.error.exitCode, c.exit);
    assert.match(doc.error.message, c.message);
    assert.match(r.stderr, c.message, 'the text goes to stderr as well');
  }
  const plain = await run(['analyze', '/nonexistent/stowage-image.tar']);
  assert.equal(plain.code, 4);
  assert.equal(plain.stdout, '', 'without --json stdout carries results only');
});

test('verification failure has its own exit code, apart from internal errors', () => {
  const err = new VerificationError('verification failed: 1 path(s) differ', []);
  assert.equal(err.exitCode, ExitCode.verificationFailed);
  assert.notEqual(ExitCode.verificationFailed, ExitCode.internal);
  assert.equal(ERROR_CODES[err.exitCode], 'verification-failed');
});

test('library option names in error text become flags on the command line', () => {
  assert.equal(flagWording('Pass `force: true` to move the tag, or choose another with `output.tag`.'), 'Pass --force to move the tag, or choose another with --tag.');
  assert.equal(flagWording('`mode.layer` takes 0..4 for this image (5 layers), not 9'), '--from-layer takes 0..4 for this image (5 layers), not 9');
  assert.equal(flagWording("Use `source: 'export'` to stream it."), 'Use --source export to stream it.');
  assert.equal(flagWording(undefined), undefined);
});

test('a reader that closes the pipe early (`| head`) ends the command quietly, with its own exit code', async () => {
  const { spawn } = await import('node:child_process');
  const { STOWAGE_BIN } = await import('../support/run-cli.js');
  for (const argv of [['flatten', '--help'], ['lint', '--no-engine', '--json', 'test/samples/dockerfiles']]) {
    // `sh -c 'exec stowage ... | true'` would race; here the read end is closed before stowage writes a byte
    const child = spawn(process.execPath, [STOWAGE_BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.doesNotMatch(stderr, /EPIPE|Error|at /, `${argv.join(' ')}: ${stderr}`);
    assert.equal(stderr, '', argv.join(' '));
    assert.notEqual(code, 70, argv.join(' '));
    assert.ok(code === 0 || code === 1, `${argv.join(' ')} exited ${code}`);
  }
});

test('watch stops when the reader of its output goes away (`stowage watch --json | head -1`), quietly, exit 0', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { STOWAGE_BIN } = await import('../support/run-cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-watch-pipe-'));
  // --data-root: no engine is asked; a reading every 100 ms, each one a line on stdout
  const child = spawn(process.execPath, [STOWAGE_BIN, '--json', 'watch', '--data-root', dir, '--burst-model', 'none', '--interval', '100ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    // the first line (the start event), then the reader goes, as head does
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await Promise.race([closed, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 10_000).unref())]);
    assert.equal(code, 0, `watch ${code === 'running' ? 'was still running 10 s after its reader went' : `exited ${code}`}: ${stderr}`);
    assert.equal(stderr, '');
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
