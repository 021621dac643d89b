import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { HostError } from '../../src/errors.js';
import { writeFixedDockerfile } from '../../src/lint/lint-files.js';
import { schemaValidator } from '../support/json-schema.js';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: (s: string) => { stderr += s; } }, env: { NO_COLOR: '1' } };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const CHOWN = 'FROM busybox\nCOPY app /app\nRUN chown -R 1000:1000 /app && chmod -R 755 /app\n';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-cli-'));
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app/a.txt'), 'hello');
  writeFileSync(join(dir, '.dockerignore'), '.git\n');
  writeFileSync(join(dir, 'Dockerfile'), CHOWN);
  return dir;
}

test('lint cli: text output, exit 1 at --fail-on warn (default), 0 at --fail-on error', async () => {
  const dir = project();
  try {
    const r = await run(['lint', '--no-engine', '--buildkit', join(dir, 'Dockerfile')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\[dockerfile\/copy-then-chown\]/);
    assert.match(r.stdout, /Dockerfile:3:5/);
    assert.match(r.stdout, /bytes duplicated \(estimate\): 5 B/);
    assert.match(r.stdout, /1 file: 0 errors, 1 warning, 0 info; 1 safe fix \(--fix\)/);
    assert.equal((await run(['lint', '--no-engine', '--buildkit', '--fail-on', 'error', join(dir, 'Dockerfile')])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint cli: --diff shows the fix without writing; --fix writes it atomically and exits 0', async () => {
  const dir = project();
  const file = join(dir, 'Dockerfile');
  try {
    chmodSync(file, 0o640);
    const d = await run(['lint', '--no-engine', '--buildkit', '--diff', file]);
    assert.match(d.stdout, /^-RUN chown -R 1000:1000 \/app && chmod -R 755 \/app$/m);
    assert.match(d.stdout, /^\+COPY --chown=1000:1000 --chmod=755 app \/app$/m);
    assert.equal(readFileSync(file, 'utf8'), CHOWN);
    assert.equal(d.code, 1, 'a preview leaves the file failing the gate, so the exit code says so');
    const f = await run(['lint', '--no-engine', '--buildkit', '--fix', file]);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'FROM busybox\nCOPY --chown=1000:1000 --chmod=755 app /app\n');
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('stowage')), []);
    assert.match(f.stdout, /1 fix applied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint cli: --json prints one versioned document; sarif and github formats', async () => {
  const dir = project();
  try {
    const j = await run(['--json', 'lint', '--no-engine', '--buildkit', join(dir, 'Dockerfile')]);
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(schemaValidator('lint.schema.json')(doc), [], 'the document follows schema/lint.schema.json');
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.command, 'lint');
    assert.equal(doc.result.failOn, 'warn');
    assert.deepEqual(doc.result.counts, { error: 0, warn: 1, info: 0 });
    const f = doc.result.files[0].findings[0];
    assert.equal(f.id, 'dockerfile/copy-then-chown');
    assert.deepEqual(f.subject.range, { startLine: 3, startColumn: 5, endLine: 3, endColumn: 48 });
    assert.deepEqual(doc.result.files[0].fixes.map((x: { finding: number; safety: string }) => [x.finding, x.safety]), [[0, 'safe']]);
    const fixedDoc = JSON.parse((await run(['--json', 'lint', '--no-engine', '--buildkit', '--diff', join(dir, 'Dockerfile')])).stdout);
    assert.deepEqual(schemaValidator('lint.schema.json')(fixedDoc), []);
    assert.equal(fixedDoc.result.files[0].fixed.written, false);
    assert.equal(fixedDoc.result.files[0].fixed.applied[0].id, 'dockerfile/copy-then-chown');
    const s = JSON.parse((await run(['lint', '--no-engine', '--buildkit', '--format', 'sarif', join(dir, 'Dockerfile')])).stdout);
    assert.equal(s.version, '2.1.0');
    const res = s.runs[0].results[0];
    assert.equal(res.ruleId, 'dockerfile/copy-then-chown');
    assert.equal(res.level, 'warning');
    assert.deepEqual(res.locations[0].physicalLocation.region, { startLine: 3, startColumn: 5, endLine: 3, endColumn: 49 });
    assert.equal(s.runs[0].tool.driver.rules[res.ruleIndex].id, 'dockerfile/copy-then-chown');
    const g = await run(['lint', '--no-engine', '--buildkit', '--format', 'github', join(dir, 'Dockerfile')]);
    assert.match(g.stdout, /^::warning file=.*Dockerfile,line=3,endLine=3,col=5,endColumn=48,title=dockerfile\/copy-then-chown%3A /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint cli: config file (ignore, severity, failOn), inline ignore, directories and globs', async () => {
  const dir = project();
  try {
    mkdirSync(join(dir, 'svc/a'), { recursive: true });
    mkdirSync(join(dir, 'svc/b'), { recursive: true });
    writeFileSync(join(dir, 'svc/a/Dockerfile'), 'FROM a\nRUN echo 1\nRUN echo 2\n');
    writeFileSync(join(dir, 'svc/b/Dockerfile'), 'FROM a\nRUN echo 1\n# stowage ignore=dockerfile/consecutive-run\nRUN echo 2\n');
    const cfg = join(dir, 'lint.json');
    writeFileSync(cfg, JSON.stringify({ ignore: ['dockerfile/missing-dockerignore'], severity: { 'dockerfile/consecutive-run': 'error' } }));
    const r = await run(['--json', 'lint', '--no-engine', '--config', cfg, join(dir, 'svc/*/Dockerfile')]);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.result.files.length, 2);
    assert.deepEqual(doc.result.files.map((f: { findings: { id: string; severity: string }[] }) => f.findings.map((x) => `${x.id}:${x.severity}`)),
      [['dockerfile/consecutive-run:error'], []]);
    assert.equal(r.code, 1);
    const dirs = JSON.parse((await run(['--json', 'lint', '--no-engine', '--skip-context', join(dir, 'svc')])).stdout);
    assert.equal(dirs.result.files.length, 2);
    writeFileSync(cfg, JSON.stringify({ ignore: ['dockerfile/consecutive-run', 'dockerfile/missing-dockerignore'], failOn: 'info' }));
    assert.equal((await run(['lint', '--no-engine', '--config', cfg, join(dir, 'svc/**/Dockerfile')])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint cli: documented exit codes for bad input and usage', async () => {
  const dir = project();
  try {
    assert.equal((await run(['lint', '--no-engine', join(dir, 'nope.Dockerfile')])).code, 4);
    assert.equal((await run(['lint', '--no-engine', join(dir, '*.nomatch')])).code, 4);
    writeFileSync(join(dir, 'bad.json'), '{"ignore": "not-a-list"}');
    const bad = await run(['lint', '--no-engine', '--config', join(dir, 'bad.json'), join(dir, 'Dockerfile')]);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /"ignore" must be a list/);
    writeFileSync(join(dir, 'typo.json'), '{"severity": {"dockerfile/copy-then-chwon": "error"}}');
    assert.match((await run(['lint', '--no-engine', '--config', join(dir, 'typo.json'), join(dir, 'Dockerfile')])).stderr, /unknown rule id "dockerfile\/copy-then-chwon"/);
    assert.equal((await run(['lint', '--no-engine', '--ignore', 'no-such-rule', join(dir, 'Dockerfile')])).code, 2);
    assert.equal((await run(['lint', '--no-engine', '--format', 'xml', join(dir, 'Dockerfile')])).code, 2);
    assert.equal((await run(['lint', '--no-engine', '--fail-on', 'fatal', join(dir, 'Dockerfile')])).code, 2);
    assert.equal((await run(['lint', '--no-engine', '--build-arg', 'novalue', join(dir, 'Dockerfile')])).code, 2);
    assert.throws(() => writeFixedDockerfile(join(dir, 'missing-dir', 'Dockerfile'), 'x'), HostError);
    // --target of a stage the file does not have: docker build fails, so lint says so in one line (exit 2, a
    // value the file cannot take), naming the stages, and lints nothing
    writeFileSync(join(dir, 'multi.Dockerfile'), 'FROM a AS build\nRUN true\nFROM \\\n  b AS final\n');
    const t = await run(['lint', '--no-engine', '--target', 'nosuch', join(dir, 'multi.Dockerfile')]);
    assert.equal(t.code, 2);
    assert.equal(t.stdout, '');
    assert.match(t.stderr, /^stowage: --target nosuch: .*multi\.Dockerfile has no stage named "nosuch" \(its stages: build, final\)\n$/);
    const tj = JSON.parse((await run(['--json', 'lint', '--no-engine', '--target', 'nosuch', join(dir, 'multi.Dockerfile')])).stdout);
    assert.deepEqual([tj.error.code, tj.error.exitCode, tj.error.hint], ['usage', 2, null]);
    assert.equal((await run(['lint', '--no-engine', '--target', 'FINAL', join(dir, 'multi.Dockerfile')])).code, 0);
    // a malformed --host is a usage error even though lint does not need the engine
    const h = await run(['--host', 'nosuch://x', 'lint', join(dir, 'Dockerfile')]);
    assert.equal(h.code, 2, h.stderr);
    assert.match(h.stderr, /unsupported docker host scheme/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint cli: --list-rules prints every rule id', async () => {
  const r = await run(['lint', '--list-rules']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /dockerfile\/copy-then-chown\s+warn\s+safe/);
  assert.equal(r.stdout.trim().split('\n').length, 17);
});
