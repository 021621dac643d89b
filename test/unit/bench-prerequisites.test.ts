/** Every bench script checks what it needs first and ends with one line naming what to install. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missing, NEEDS } from '../../bench/prerequisites.js';
import { pathWithout } from '../support/path-without.js';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
const scripts = readdirSync(benchDir).filter((f) => f.endsWith('.js') && f !== 'prerequisites.js').sort();

function runScript(script: string, env: NodeJS.ProcessEnv, cwd: string) {
  return spawnSync(process.execPath, [join(benchDir, script)], { env: { ...process.env, ...env }, cwd, encoding: 'utf8', timeout: 60_000 });
}

it('finds a tool on the PATH given, and names what is missing with how to install it', () => {
  const path = pathWithout('tar');
  try {
    assert.deepEqual(missing([NEEDS.tar, NEEDS.busybox], path.dirs), [['tar', 'apt-get install tar']]);
    assert.deepEqual(missing([NEEDS.tar], process.env.PATH), []);
    assert.deepEqual(missing([{ file: '/no/such/file', install: 'make it' }]), [['/no/such/file', 'make it']]);
  } finally {
    path.remove();
  }
});

it('bench/analyze without debootstrap: one line saying to install it, exit 2, no stack trace', () => {
  const path = pathWithout('debootstrap');
  try {
    const r = runScript('analyze.js', { PATH: path.dirs }, process.cwd());
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^bench\/analyze needs (.*, )?debootstrap(, .*)?: .*apt-get install debootstrap.*\n$/);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.equal(r.stdout, '');
  } finally {
    path.remove();
  }
});

it('every bench script stops at its check when nothing it needs is on the PATH', () => {
  assert.ok(scripts.length >= 6, scripts.join(' '));
  const empty = mkdtempSync(join(tmpdir(), 'stowage-empty-path-'));
  try {
    for (const script of scripts) {
      // from an empty directory: lint-speed needs only the repository's samples
      const r = runScript(script, { PATH: empty }, empty);
      const name = script.replace(/\.js$/, '');
      assert.equal(r.status, 2, `${script}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^bench/${name} needs [^\\n]+: [^\\n]+\\n$`), script);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${script}: no stack trace`);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
