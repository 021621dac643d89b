/**
 * Issue 11 item 6: an image argument that is a missing path, a URL or no reference at all is bad input
 * (exit 4, one line, no stack trace), told before any engine is asked: the engine given here does not exist,
 * so any call to it would end in exit 3 instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.js';

const NO_ENGINE = ['--host', 'unix:///nonexistent/stowage-no-engine.sock'];

test('missing paths, URLs and invalid references exit 4 before any engine call, for analyze and flatten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-image-arg-'));
  try {
    const out = join(dir, 'out.tar');
    const cases: [string[], RegExp][] = [
      [['flatten', '-o', out, '/no/such/file.tar'], /no such file or directory: \/no\/such\/file\.tar/],
      [['flatten', '/nope/x.tar'], /no such file or directory: \/nope\/x\.tar/],
      [['flatten', '--oci', join(dir, 'oci'), '/nope/x.tar'], /no such file or directory: \/nope\/x\.tar/],
      [['flatten', '--source', 'engine', '/nope/x.tar'], /no such file or directory/],
      [['flatten', 'http://x'], /"http:\/\/x" is not an image reference: it is a URL/],
      [['flatten', '--keep-base', '--base', '/nope/base.tar', 'app:1'], /no such file or directory: \/nope\/base\.tar/],
      [['analyze', '--source', 'engine', '/nope/x.tar'], /no such file or directory: \/nope\/x\.tar/],
      [['analyze', '--source', 'export', '/nope/x.tar'], /no such file or directory: \/nope\/x\.tar/],
      [['analyze', '--source', 'overlay2', '/nope/x.tar'], /no such file or directory: \/nope\/x\.tar/],
      [['analyze', '--source', 'archive', 'no-such.tar'], /no such file or directory: no-such\.tar/],
      [['analyze', 'http://x'], /"http:\/\/x" is not an image reference: it is a URL/],
      [['analyze', 'a b'], /"a b" is not an image reference: it contains white space/],
      [['analyze', 'App:1'], /"App:1" is not an image reference: repository names are lower case/],
      [['analyze', '--source', 'engine', join(dir, 'file.tar')], /is a file or directory, not an image in the engine/],
    ];
    writeFileSync(join(dir, 'file.tar'), 'not an archive');
    for (const [args, message] of cases) {
      const r = await runCli([...NO_ENGINE, ...args]);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at |TypeError|Invalid URL/, `${args.join(' ')}: no stack trace`);
      assert.equal(r.stdout, '');
    }
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(join(dir, 'oci')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
