/**
 * Issue 20: add-remote's advice once read `tar -xz -C /x.tar.gz`, a destination GNU tar refuses. Here each
 * suggested RUN is executed by sh with GNU tar (the download replaced by `cat` of a real archive of that
 * compression, every absolute path moved under a temp root): the archive's file must land in DEST's directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintText } from '../../src/lint/lint-dockerfile.js';

const CASES: { dest: string; ext: string; tarFlag: string; dir: string }[] = [
  { dest: '/x.tar.gz', ext: 'tar.gz', tarFlag: '-z', dir: '/' },
  { dest: '/opt/tool.tgz', ext: 'tgz', tarFlag: '-z', dir: '/opt' },
  { dest: '/opt/', ext: 'tar.xz', tarFlag: '-J', dir: '/opt' },
  { dest: '/srv/app/', ext: 'tar.bz2', tarFlag: '-j', dir: '/srv/app' },
  { dest: '/usr/local/lib/x.tar.zst', ext: 'tar.zst', tarFlag: '--zstd', dir: '/usr/local/lib' },
  { dest: '/data/x.tar', ext: 'tar', tarFlag: '', dir: '/data' },
];

test('add-remote: each suggested RUN, run with GNU tar, extracts into the destination\'s directory', () => {
  const work = mkdtempSync(join(tmpdir(), 'stowage-add-remote-'));
  try {
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'payload.txt'), 'payload\n');
    for (const c of CASES) {
      const url = `https://example.com/dl/x.${c.ext}`;
      const r = lintText(`FROM a\nADD ${url} ${c.dest}\n`);
      const advice = r.findings.find((f) => f.id === 'dockerfile/add-remote')?.fix?.commands?.[0];
      assert.ok(advice, `${c.dest}: ${JSON.stringify(r.findings.map((f) => f.id))}`);
      const archive = join(work, `x.${c.ext}`);
      execFileSync('tar', ['-c', ...(c.tarFlag ? [c.tarFlag] : []), '-f', archive, '-C', join(work, 'src'), 'payload.txt']);
      const root = join(work, `root-${c.ext}`);
      mkdirSync(root);
      // the advice as a shell command: no RUN, no trailing note, the download read from the local archive,
      // absolute paths under root
      const script = advice.replace(/^RUN /, '').replace(/ \(when .*\)$/, '').replace(`wget -O- ${url}`, `cat ${archive}`)
        .replace(/(-C |mkdir -p )(\/\S*)/g, (_, flag: string, p: string) => `${flag}${root}${p}`);
      assert.match(script, new RegExp(`-C ${root}${c.dir === '/' ? '/' : c.dir}$`), script);
      execFileSync('sh', ['-c', script]);
      assert.equal(readFileSync(join(root, c.dir, 'payload.txt'), 'utf8'), 'payload\n', `${advice}: extracted into ${c.dir}`);
      assert.ok(!existsSync(join(root, c.dest)) || c.dest.endsWith('/'), `${advice}: nothing named ${c.dest}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('add-remote: the old advice (-C into the archive\'s own path) is what GNU tar refuses', () => {
  const work = mkdtempSync(join(tmpdir(), 'stowage-add-remote-'));
  try {
    writeFileSync(join(work, 'payload.txt'), 'p');
    execFileSync('tar', ['-czf', join(work, 'x.tar.gz'), '-C', work, 'payload.txt']);
    assert.throws(() => execFileSync('sh', ['-c', `cat ${work}/x.tar.gz | tar -xz -C ${work}/root/x.tar.gz`], { stdio: 'pipe' }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
