/**
 * The proof of `stowage lint --fix` with a real engine: a fixture app of 20,000 small files whose Dockerfile
 * copies it and then runs chown -R and chmod -R, built with BuildKit before and after the fix. The fixed
 * image must be smaller by at least the duplicated bytes lint estimated, and `docker export` of a container
 * of each image must show the same files with the same owners, modes and contents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { build, exportFilesystem, FIXTURE_FILES, stowageLint, writeFixture } from './lint-fixture.js';

test('lint --fix on COPY + chown -R + chmod -R of 20,000 files: smaller image, identical filesystem', { timeout: 20 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-fix-build-'));
  const before = uniqueName('stowage-test/lint-before');
  const after = uniqueName('stowage-test/lint-after');
  try {
    const { bytes } = writeFixture(dir, base);
    const dockerfile = join(dir, 'Dockerfile');
    // lint sees it and estimates the duplicated bytes from the real build context
    const json = await stowageLint(['--no-engine', '--buildkit', '--json', dockerfile]);
    assert.equal(json.code, 1);
    const finding = JSON.parse(json.stdout).result.files[0].findings.find((f: { id: string }) => f.id === 'dockerfile/copy-then-chown');
    assert.ok(finding, json.stdout);
    const estimate = finding.evidence.find((e: { label: string }) => e.label === 'bytes duplicated (estimate)').value as number;
    assert.equal(estimate, bytes);
    assert.equal(finding.evidence.find((e: { label: string }) => e.label === 'files duplicated (estimate)').value, FIXTURE_FILES);

    const b = await build(dir, before);
    const fixed = await stowageLint(['--no-engine', '--buildkit', '--fix', dockerfile]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(readFileSync(dockerfile, 'utf8'), `FROM ${base}\nCOPY --chown=1000:1000 --chmod=755 app /app\nCMD ["sh"]\n`);
    const a = await build(dir, after);

    assert.ok(b.size - a.size >= estimate, `before ${b.size} B, after ${a.size} B: saved ${b.size - a.size} B < ${estimate} B duplicated`);

    const fsBefore = await exportFilesystem(before);
    const fsAfter = await exportFilesystem(after);
    const appFiles = [...fsAfter.keys()].filter((p) => p.startsWith('app/') && fsAfter.get(p)!.type === '0');
    assert.equal(appFiles.length, FIXTURE_FILES);
    assert.deepEqual(fsAfter.get('app'), fsBefore.get('app'));
    assert.equal(fsAfter.get('app/pkg0/lib/m1.js')?.mode, 0o755);
    assert.equal(fsAfter.get('app/pkg0/lib/m1.js')?.uid, 1000);
    // Same paths, types, owners, modes, sizes and contents, everywhere in the image.
    assert.deepEqual([...fsAfter.keys()].sort(), [...fsBefore.keys()].sort());
    for (const [path, entry] of fsBefore) assert.deepEqual(fsAfter.get(path), entry, path);
  } finally {
    await removeImages([before, after]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lint --fix keeps owners and modes for a named user without group and a WORKDIR-created destination', { timeout: 10 * 60_000 }, async () => {
  const base = await ensureBusybox();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-lint-fix-small-'));
  const tags = [uniqueName('stowage-test/lint-small-before'), uniqueName('stowage-test/lint-small-after')];
  try {
    mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.txt'), 'a');
    writeFileSync(join(dir, 'src', 'sub', 'b.sh'), 'echo b');
    chmodSync(join(dir, 'src', 'a.txt'), 0o600);
    writeFileSync(join(dir, '.dockerignore'), 'Dockerfile\n');
    // the user exists only in this image; chown -R of a user alone keeps group 0
    const original = `FROM ${base}\nRUN echo 'web:x:1234:4321::/:/bin/sh' >> /etc/passwd && echo 'web:x:4321:' >> /etc/group\nWORKDIR /srv/www\nCOPY src .\nRUN chown -R web /srv/www && chmod -R 0750 /srv/www\n`;
    writeFileSync(join(dir, 'Dockerfile'), original);
    await build(dir, tags[0]!);
    const fixed = await stowageLint(['--no-engine', '--buildkit', '--fix', join(dir, 'Dockerfile')]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.equal(readFileSync(join(dir, 'Dockerfile'), 'utf8'),
      `FROM ${base}\nRUN echo 'web:x:1234:4321::/:/bin/sh' >> /etc/passwd && echo 'web:x:4321:' >> /etc/group\nWORKDIR /srv/www\nCOPY --chown=web:0 --chmod=0750 src .\nRUN chown web /srv/www && chmod 0750 /srv/www\n`);
    await build(dir, tags[1]!);
    const before = await exportFilesystem(tags[0]!);
    const after = await exportFilesystem(tags[1]!);
    assert.deepEqual(before.get('srv/www/sub/b.sh'), { ...before.get('srv/www/sub/b.sh')!, uid: 1234, gid: 0, mode: 0o750 });
    assert.deepEqual(before.get('srv/www'), { ...before.get('srv/www')!, uid: 1234, gid: 0, mode: 0o750 });
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [path, entry] of before) assert.deepEqual(after.get(path), entry, path);
  } finally {
    await removeImages(tags);
    rmSync(dir, { recursive: true, force: true });
  }
});
