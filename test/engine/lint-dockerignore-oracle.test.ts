/**
 * The build context lint measures is the one BuildKit sends: for a tricky .dockerignore, the files that
 * `COPY . /ctx` puts in a real image are exactly the files readBuildContext lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readBuildContext } from '../../src/dockerfile/build-context.js';
import { ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { build, exportFilesystem } from './lint-fixture.js';

const FILES = [
  'app.log', 'keep.log', 'src/a.js', 'src/deep/b.log', 'src/deep/test/t.js', 'src/test/u.js', 'build/out.js',
  'build/keep/k.js', 'node_modules/x/i.js', 'lib/node_modules/y.js', 'docs/a/b/draft1.md', 'docs/draft2.md',
  'docs/final.md', 'a.txt', 'b.txt', 'c.txt', 'x.tmp', 'sub/x.tmp', '.git/HEAD', 'notes/#hash.md', 'space dir/f.txt',
];

const IGNORE = [
  '# comment line', '**/*.log', '!keep.log', 'build/*', '!build/keep/', '/node_modules', 'docs/**/draft?.md',
  '*.tmp', '[ab].txt', 'src/**/test', '.git', '  ', '!src/deep/test/t.js',
].join('\n');

test('.dockerignore semantics match what BuildKit sends', { timeout: 5 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-ignore-'));
  const tag = uniqueName('stowage-test/lint-ignore');
  try {
    for (const f of FILES) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), f);
    }
    writeFileSync(join(dir, '.dockerignore'), IGNORE);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${base}\nCOPY . /ctx/\n`);
    await build(dir, tag);
    const image = await exportFilesystem(tag);
    const sent = [...image.entries()].filter(([p, e]) => p.startsWith('ctx/') && e.type === '0').map(([p]) => p.slice(4)).sort();
    const ours = readBuildContext(dir).files.map((f) => f.path).sort();
    assert.deepEqual(ours, sent);
    // the patterns did something in both directions
    assert.ok(sent.includes('keep.log') && sent.includes('build/keep/k.js') && sent.includes('lib/node_modules/y.js'));
    assert.ok(!sent.includes('app.log') && !sent.includes('build/out.js') && !sent.includes('docs/a/b/draft1.md'));
  } finally {
    await removeImages([tag]);
    rmSync(dir, { recursive: true, force: true });
  }
});
