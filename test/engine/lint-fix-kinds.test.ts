/**
 * Every fix kind keeps the build's meaning, on the real engine: a Dockerfile is built before and after
 * `stowage lint --fix-unsafe` (apt-update-alone's join, consecutive-run's join, package-cache's cleanup,
 * add-local's ADD → COPY) and the `docker export` of each image, read as a tar, must hold the same paths,
 * owners, modes and contents, but for the cache the fix removes. A join whose second RUN stops itself with
 * `set -e` must still fail the build. copy-then-chown without --buildkit gives a file the legacy builder builds.
 * apt-get is a stand-in script (busybox has none): update writes an index, install needs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { withBuildCacheCleanup } from '../support/build-cache.js';
import { build, exportFilesystem, stowageLint } from './lint-fixture.js';

const FAKE_APT = `#!/bin/sh
case "$1" in
  update) mkdir -p /var/lib/apt/lists && echo index > /var/lib/apt/lists/index ;;
  install) [ -e /var/lib/apt/lists/index ] || { echo "no package lists" >&2; exit 100; }; shift; for p; do case "$p" in -*) ;; *) echo "$p" >> /installed ;; esac; done ;;
  dist-clean) rm -rf /var/lib/apt/lists/* ;;
esac
`;

function project(base: string, dockerfile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-kinds-'));
  writeFileSync(join(dir, 'apt-get'), FAKE_APT);
  chmodSync(join(dir, 'apt-get'), 0o755);
  writeFileSync(join(dir, 'conf.txt'), 'setting=1\n');
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'a.txt'), 'a');
  chmodSync(join(dir, 'app', 'a.txt'), 0o600);
  writeFileSync(join(dir, '.dockerignore'), 'Dockerfile\n');
  writeFileSync(join(dir, 'Dockerfile'), dockerfile.replace('BASE', base));
  return dir;
}

test('lint --fix-unsafe: joins, apt cleanup and ADD → COPY build the same filesystem (but the apt lists)', { timeout: 10 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = project(base, [
    'FROM BASE',
    'COPY apt-get /bin/apt-get',
    'RUN apt-get update',
    'RUN apt-get install -y a',
    'RUN echo one > /one',
    'RUN echo two > /two && chmod 600 /two',
    'ADD conf.txt /etc/conf.txt',
    'RUN apt-get update',
    '# the c package, checked',
    'RUN set -eux; apt-get install -y c; grep -q c /installed',
    'RUN apt-get update && apt-get install -y b',
    '',
  ].join('\n'));
  const tags = [uniqueName('stowage-test/lint-kinds-before'), uniqueName('stowage-test/lint-kinds-after')];
  try {
    await build(dir, tags[0]!);
    const fixed = await stowageLint(['--no-engine', '--fix-unsafe', join(dir, 'Dockerfile')]);
    const text = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    assert.equal(text, [
      `FROM ${base}`,
      'COPY apt-get /bin/apt-get',
      'RUN apt-get update && \\',
      '    apt-get install -y a',
      'RUN echo one > /one && \\',
      '    echo two > /two && chmod 600 /two',
      'COPY conf.txt /etc/conf.txt',
      'RUN apt-get update && { \\',
      '# the c package, checked',
      '    set -eux; apt-get install -y c; grep -q c /installed; }',
      'RUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*',
      '',
    ].join('\n'), fixed.stdout);
    // a second --fix-unsafe changes nothing
    await stowageLint(['--no-engine', '--fix-unsafe', join(dir, 'Dockerfile')]);
    assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'), text);
    await build(dir, tags[1]!);
    const before = await exportFilesystem(tags[0]!);
    const after = await exportFilesystem(tags[1]!);
    const lists = (p: string) => p.startsWith('var/lib/apt/lists/');
    assert.ok(before.has('var/lib/apt/lists/index'));
    assert.equal([...after.keys()].some(lists), false, 'the cleanup removed the lists');
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].filter((p) => !lists(p)).sort());
    for (const [path, entry] of before) if (!lists(path)) assert.deepEqual(after.get(path), entry, path);
    assert.equal(before.get('installed')?.size, 'a\nc\nb\n'.length);
  } finally {
    await removeImages(tags);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint --fix-unsafe: a joined RUN that starts `set -e` still fails the build where the two RUNs did', { timeout: 10 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = project(base, 'FROM BASE\nCOPY apt-get /bin/apt-get\nRUN apt-get update\nRUN set -eu; false; apt-get install -y x\n');
  const tags = [uniqueName('stowage-test/lint-fail-before'), uniqueName('stowage-test/lint-fail-after')];
  try {
    // a failed build keeps the cache of its steps before the failure: remove what these builds made
    const b = await withBuildCacheCleanup(() => docker(['build', '-q', '-t', tags[0]!, dir], { env: { DOCKER_BUILDKIT: '1' }, allowFailure: true }));
    assert.notEqual(b.code, 0, 'the original build fails at `false`');
    await stowageLint(['--no-engine', '--fix-unsafe', join(dir, 'Dockerfile')]);
    assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), /RUN apt-get update && \{ \\\n {4}set -eu; false; apt-get install -y x; \}\n/);
    const a = await withBuildCacheCleanup(() => docker(['build', '-q', '-t', tags[1]!, dir], { env: { DOCKER_BUILDKIT: '1' }, allowFailure: true }));
    assert.notEqual(a.code, 0, 'the joined build fails too');
  } finally {
    await removeImages(tags);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint --fix without --buildkit: no --chmod (the legacy builder rejects it); the fixed files build on the legacy builder and with BuildKit, the same files', { timeout: 10 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = project(base, 'FROM BASE\nCOPY app /app\nRUN chown -R 1:1 /app && chmod -R 755 /app\n');
  const tags = ['legacy-before', 'legacy-after', 'buildkit-after', 'chmod-legacy', 'chmod-buildkit', 'chown-before'].map((t) => uniqueName(`stowage-test/lint-${t}`));
  const legacy = { DOCKER_BUILDKIT: '0' };
  const buildkit = { DOCKER_BUILDKIT: '1' };
  const file = join(dir, 'Dockerfile');
  try {
    // chown and chmod: without BuildKit certain the mode change cannot move into the COPY, so nothing is folded
    await stowageLint(['--no-engine', '--fix', file]);
    const withChmod = `FROM ${base}\nCOPY app /app\nRUN chown -R 1:1 /app && chmod -R 755 /app\n`;
    assert.equal(readFileSync(file, 'utf8'), withChmod);
    const original = await withBuildCacheCleanup(() => docker(['build', '-q', '-t', tags[0]!, dir], { env: legacy }));
    assert.match(original.stdout, /sha256:/);
    // with --buildkit it is folded into COPY --chmod: the legacy builder refuses that file (why it is not the
    // default), BuildKit builds it with the same files
    await stowageLint(['--no-engine', '--buildkit', '--fix', file]);
    assert.equal(readFileSync(file, 'utf8'), `FROM ${base}\nCOPY --chown=1:1 --chmod=755 app /app\n`);
    const refused = await docker(['build', '-q', '-t', tags[3]!, dir], { env: legacy, allowFailure: true });
    assert.match(refused.stderr, /the --chmod option requires BuildKit/);
    await withBuildCacheCleanup(() => docker(['build', '-q', '-t', tags[4]!, dir], { env: buildkit }));
    await sameFiles(tags[0]!, tags[4]!);

    // chown alone: folded into COPY --chown, which both builders take
    writeFileSync(file, `FROM ${base}\nCOPY app /app\nRUN chown -R 1:1 /app\n`);
    await docker(['build', '-q', '-t', tags[5]!, dir], { env: legacy });
    await stowageLint(['--no-engine', '--fix', file]);
    assert.equal(readFileSync(file, 'utf8'), `FROM ${base}\nCOPY --chown=1:1 app /app\n`);
    await docker(['build', '-q', '-t', tags[1]!, dir], { env: legacy });
    await withBuildCacheCleanup(() => docker(['build', '-q', '-t', tags[2]!, dir], { env: buildkit }));
    const after = await sameFiles(tags[5]!, tags[1]!);
    await sameFiles(tags[5]!, tags[2]!);
    assert.equal(after.get('app/a.txt')?.uid, 1);
    assert.equal(after.get('app/a.txt')?.mode, 0o600);
  } finally {
    await removeImages(tags);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `docker export` of both images holds the same paths, owners, modes and contents. */
async function sameFiles(a: string, b: string): Promise<Awaited<ReturnType<typeof exportFilesystem>>> {
  const before = await exportFilesystem(a);
  const after = await exportFilesystem(b);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [path, entry] of before) assert.deepEqual(after.get(path), entry, `${path}: ${a} against ${b}`);
  return after;
}
