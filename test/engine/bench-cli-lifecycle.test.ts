/**
 * The bench commands as a user lives with them, on the real engine through the CLI (issue 20): Ctrl-C on
 * bench start exits 130 and leaves no container; --name-prefix names them; bench build's flags reach the
 * engine (checked with docker itself), a failed build shows its step's output and exits 8, and a cold build
 * leaves none of its build cache behind (checked with docker's own `system df -v`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { withBuildCacheCleanup } from '../support/build-cache.js';
import { docker, ensureBusybox } from '../support/docker-cli.js';
import { runCli, STOWAGE_BIN } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';

const token = () => randomBytes(4).toString('hex');

/** Build-cache record descriptions, as the docker CLI lists them. */
async function cacheDescriptions(): Promise<string[]> {
  const r = await docker(['system', 'df', '-v', '--format', '{{json .BuildCache}}']);
  const records = JSON.parse(r.stdout.trim() || '[]') as { Description?: string }[] | null;
  return (records ?? []).map((x) => x.Description ?? '');
}

describe('bench start lifecycle', () => {
  it('names containers with --name-prefix, and Ctrl-C exits 130 leaving none behind', { timeout: 120_000 }, async () => {
    const image = await ensureBusybox();
    const prefix = `stowage-sigint-${token()}-`;
    const child = spawn(process.execPath, [STOWAGE_BIN, 'bench', 'start', '--image', image, '-n', '50', '--no-sampler', '--name-prefix', prefix, '--cmd', 'sleep 2'],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      // wait until a container carries the prefix: the loop is running and naming them
      let named = '';
      for (let i = 0; i < 200 && !named; i++) {
        named = (await docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', '{{.Names}}'])).stdout.trim();
        if (!named) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(named, new RegExp(`^${prefix}\\d+$`, 'm'), `a container named ${prefix}N: ${stderr}`);
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 130, stderr);
      assert.match(stderr, /stopping after the containers in flight/);
      assert.match(stdout, /^bench start: \d+ containers? of /, 'the summary of what completed still prints');
      assert.match(stdout, /interrupted \(Ctrl-C\)/);
      const left = await docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', '{{.Names}}']);
      assert.equal(left.stdout.trim(), '', 'no container left behind');
    } finally {
      child.kill('SIGKILL');
      const left = (await docker(['ps', '-aq', '--filter', `name=^${prefix}`])).stdout.trim().split('\n').filter(Boolean);
      if (left.length) await docker(['rm', '-fv', ...left], { allowFailure: true });
    }
  });
});

describe('bench start on a terminal', () => {
  it('a failing run shows no NaN and clears its status line before the error', { timeout: 120_000 }, async () => {
    const image = await ensureBusybox();
    // script(1) gives the CLI a pseudo-terminal, so stderr is a TTY as a user's would be
    const cli = [process.execPath, STOWAGE_BIN, 'bench', 'start', '--image', image, '-n', '6', '--no-sampler', '--cmd', '/no/such/binary']
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', cli, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 4, r.out);
    assert.match(r.out, /\r\x1b\[K\d\/6 containers  (the start|all \d starts) failed so far/, 'the status line was drawn in place, saying nothing has worked yet');
    assert.doesNotMatch(r.out, /NaN/);
    // the last thing before the error is the erase: no status text left on the error's line, which says
    // how many starts failed and the first error (the engine's own words about the missing binary)
    assert.match(r.out, /\r\x1b\[Kstowage: all 5 starts failed; the first: (create|start|wait): .*no\/such\/binary/);
  });
});

describe('bench build lifecycle', () => {
  it('passes --build-arg, --target, --platform and -t to the build, and keeps the tagged image', { timeout: 180_000 }, async () => {
    const base = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-flags-'));
    const tag = `stowage-test/bench-flags:${token()}`;
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base} AS first\nARG GREETING=unset\nRUN echo "$GREETING" > /greeting\nFROM first AS second\nRUN echo second > /second\n`);
      // with -t the build's cache is the user's and stays: the test removes what it made
      const r = await withBuildCacheCleanup(() => runCli(['--json', 'bench', 'build', dir, '--build-arg', 'GREETING=hello-arg', '--target', 'first', '--platform', 'linux/amd64', '-t', tag]));
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(schemaValidator('bench-build.schema.json')(doc), []);
      assert.equal(doc.result.runs[0].tag, tag);
      assert.equal(doc.result.runs[0].kept, true);
      // the oracle is docker: the arg reached RUN, the build stopped at the target stage, for that platform
      const greeting = await docker(['run', '--rm', '--network', 'none', tag, 'cat', '/greeting']);
      assert.equal(greeting.stdout.trim(), 'hello-arg');
      const second = await docker(['run', '--rm', '--network', 'none', tag, 'ls', '/second'], { allowFailure: true });
      assert.notEqual(second.code, 0, 'the second stage was not built');
      const arch = await docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', tag]);
      assert.equal(arch.stdout.trim(), 'linux/amd64');
      const bad = await runCli(['bench', 'build', dir, '-t', tag, '--vs', join(dir, 'Dockerfile')]);
      assert.equal(bad.code, 2);
    } finally {
      await docker(['rmi', '-f', tag], { allowFailure: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cold build shows its running step live and removes the build cache it made; a failed one shows its output and exits 8', { timeout: 180_000 }, async () => {
    const base = await ensureBusybox();
    const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-cache-'));
    const mark = token();
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo cold-${mark} > /mark && sleep 2\n`);
      writeFileSync(join(dir, 'Dockerfile.fail'), `FROM ${base}\nRUN echo fail-${mark} > /mark\nRUN echo line-one-${mark}; echo line-two-${mark}; exit 3\n`);
      const ok = await runCli(['--json', '--progress', 'ndjson', 'bench', 'build', dir]);
      assert.equal(ok.code, 0, ok.stderr);
      // live: the RUN step is told when it starts, its sleep before it ends (a bound the sleep sets, not a timing)
      const events = ok.stderr.trim().split('\n').map((l) => JSON.parse(l) as { step?: string; detail?: { state?: string }; elapsedMs: number });
      const at = (state: string) => events.find((e) => /RUN echo cold-/.test(e.step ?? '') && e.detail?.state === state)?.elapsedMs;
      const started = at('running');
      const ended = at('done');
      assert.ok(started !== undefined && ended !== undefined, ok.stderr);
      assert.ok(ended - started >= 1500, `the step showed as running ${ended - started} ms before it ended`);
      const run = JSON.parse(ok.stdout).result.runs[0];
      assert.ok(run.cacheRemoved && run.cacheRemoved.records >= 1, `records removed: ${JSON.stringify(run.cacheRemoved)}`);
      const failed = await runCli(['bench', 'build', dir, '-f', join(dir, 'Dockerfile.fail')]);
      assert.equal(failed.code, 8, failed.stderr);
      assert.match(failed.stderr, new RegExp(`\\| line-one-${mark}\\n  \\| line-two-${mark}`));
      assert.match(failed.stderr, /stowage: the build of .* failed at \[3\/3\] RUN echo line-one/);
      const left = (await cacheDescriptions()).filter((d) => d.includes(mark));
      assert.deepEqual(left, [], 'no build-cache record of either build is left');
      // the control: the same build with --cache keeps its records, and this count sees them (so the empty
      // count above is the cold build's doing, not a check that cannot see records)
      const warm = await withBuildCacheCleanup(async () => {
        const r = await runCli(['--json', 'bench', 'build', dir, '--cache']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).result.runs[0].cacheRemoved, undefined, 'a --cache build removes nothing');
        return (await cacheDescriptions()).filter((d) => d.includes(mark));
      });
      assert.ok(warm.length >= 1, `records of the --cache build: ${warm.join(', ')}`);
      assert.deepEqual((await cacheDescriptions()).filter((d) => d.includes(mark)), [], 'the control cleaned up after itself');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
