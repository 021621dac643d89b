import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, findConfigFile, loadConfig, parseConfig } from '../../src/config/config-file.js';
import { readThresholdConfig, thresholdsFromSection } from '../../src/analyze/thresholds.js';
import { readLintConfig } from '../../src/lint/lint-files.js';
import { main } from '../../src/cli/main.js';

function tree() {
  const top = mkdtempSync(join(tmpdir(), 'stowage-config-'));
  const repo = join(top, 'repo');
  const cwd = join(repo, 'a', 'b');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(join(repo, '.git'));
  const xdg = join(top, 'xdg');
  mkdirSync(join(xdg, 'stowage'), { recursive: true });
  return { top, repo, cwd, xdg, env: { XDG_CONFIG_HOME: xdg }, cleanup: () => rmSync(top, { recursive: true, force: true }) };
}

test('found as the docker CLI finds config: the flag, then up to the repository root, then XDG', () => {
  const t = tree();
  try {
    assert.equal(findConfigFile({ cwd: t.cwd, env: t.env }), undefined);
    writeFileSync(join(t.top, '.stowage.json'), '{}');
    assert.equal(findConfigFile({ cwd: t.cwd, env: t.env }), undefined, 'never above the repository root');
    writeFileSync(join(t.xdg, 'stowage', 'config.json'), '{}');
    assert.equal(findConfigFile({ cwd: t.cwd, env: t.env }), join(t.xdg, 'stowage', 'config.json'));
    writeFileSync(join(t.repo, '.stowage.json'), '{}');
    assert.equal(findConfigFile({ cwd: t.cwd, env: t.env }), join(t.repo, '.stowage.json'));
    writeFileSync(join(t.repo, 'a', '.stowage.json'), '{}');
    assert.equal(findConfigFile({ cwd: t.cwd, env: t.env }), join(t.repo, 'a', '.stowage.json'), 'the nearest wins');
    assert.equal(findConfigFile({ explicit: '/x/y.json', cwd: t.cwd, env: t.env }), '/x/y.json');
    assert.equal(findConfigFile({ cwd: t.cwd, env: {}, home: t.top }), join(t.repo, 'a', '.stowage.json'));
  } finally {
    t.cleanup();
  }
});

test('the sections are read and checked; each error names the file and the key', () => {
  const t = tree();
  try {
    const file = join(t.repo, '.stowage.json');
    writeFileSync(file, JSON.stringify({ lint: { ignore: ['dockerfile/consecutive-run'] }, analyze: { lowestEfficiency: 0.9 }, prune: { protect: { labels: ['keep'] }, keepRecent: 3, keepSince: '48h' }, watch: { interval: '30s' } }));
    const config = loadConfig({ cwd: t.cwd, env: t.env });
    assert.deepEqual(config, { file, lint: { ignore: ['dockerfile/consecutive-run'] }, analyze: { lowestEfficiency: 0.9 }, prune: { protect: { labels: ['keep'] }, keepRecent: 3, keepSinceMs: 172_800_000 }, watch: { intervalMs: 30_000 } });
    const bad = (value: unknown, message: RegExp, key?: string) => assert.throws(() => parseConfig(value, file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.exitCode, 4);
      assert.equal(err.file, file);
      assert.equal(err.key, key);
      assert.match(err.message, message);
      return true;
    });
    bad([], /must be a JSON object/);
    bad({ lnit: {} }, /"lnit": unknown section \(sections: lint, analyze, prune, watch\)/, 'lnit');
    bad({ prune: { protect: { images: 'app' } } }, /"prune\.protect\.images": must be a list of names/, 'prune.protect.images');
    bad({ prune: { keepRecent: '168h' } }, /"prune\.keepRecent": must be a whole number of tags kept per repository, not "168h" \(a duration goes in keepSince\)/, 'prune.keepRecent');
    bad({ prune: { keepSince: 'a week' } }, /"prune\.keepSince": must be a duration/, 'prune.keepSince');
    bad({ watch: { interval: 'often' } }, /"watch\.interval": must be a duration/, 'watch.interval');
    writeFileSync(file, '{ "lint": ');
    assert.throws(() => loadConfig({ cwd: t.cwd, env: t.env }), new RegExp(`config ${file} is not valid JSON`));
    assert.throws(() => thresholdsFromSection({ lowestEfficiency: 'most' }, `config ${file} (section "analyze")`),
      /section "analyze"\) lowestEfficiency: "most" is not a ratio/);
  } finally {
    t.cleanup();
  }
});

test('lint and analyze read their own files through the same loader, with the same messages', () => {
  assert.throws(() => readLintConfig('/nonexistent/.stowage-lint.json'), /^BadInputError: cannot read config \/nonexistent\/\.stowage-lint\.json: ENOENT$/);
  assert.throws(() => readThresholdConfig('/nonexistent/.dive-ci'), /cannot read config \/nonexistent\/\.dive-ci: ENOENT/);
});

test('stowage lint takes its section of .stowage.json', async () => {
  const t = tree();
  const before = process.cwd();
  try {
    writeFileSync(join(t.cwd, 'Dockerfile'), 'FROM busybox\nRUN echo a\nRUN echo b\n');
    const lint = async () => {
      let stdout = '';
      const io = { stdout: { write: (s: string) => { stdout += s; } }, stderr: { write: () => undefined }, env: {} };
      await main(['--json', 'lint', 'Dockerfile'], io);
      return (JSON.parse(stdout) as { result: { files: { findings: { id: string }[] }[] } }).result.files[0]!.findings.map((f) => f.id);
    };
    process.chdir(t.cwd);
    assert.ok((await lint()).includes('dockerfile/consecutive-run'));
    writeFileSync(join(t.repo, '.stowage.json'), JSON.stringify({ lint: { ignore: ['dockerfile/consecutive-run'] } }));
    assert.ok(!(await lint()).includes('dockerfile/consecutive-run'), 'ignored by the config two directories up');
  } finally {
    process.chdir(before);
    t.cleanup();
  }
});
