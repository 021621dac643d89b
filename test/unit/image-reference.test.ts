/** Image references parsed as Docker parses them (cases after github.com/distribution/reference's own tests). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseImageReference, parseTagName } from '../../src/image/image-reference.js';
import { BadInputError, ExitCode, UsageError } from '../../src/errors.js';

const HEX64 = 'a'.repeat(64);

test('valid references: names, domains with ports, tags, digests, image IDs', () => {
  const cases: [string, { domain?: string; path: string; tag?: string; digest?: string }][] = [
    ['busybox', { path: 'busybox' }],
    ['library/busybox:1.36', { path: 'library/busybox', tag: '1.36' }],
    ['localhost/app', { domain: 'localhost', path: 'app' }],
    ['localhost:5000/a/b_c__d-e---f.g:V_1.0-rc', { domain: 'localhost:5000', path: 'a/b_c__d-e---f.g', tag: 'V_1.0-rc' }],
    ['127.0.0.1:5000/app', { domain: '127.0.0.1:5000', path: 'app' }],
    ['[::1]:5000/app:v1', { domain: '[::1]:5000', path: 'app', tag: 'v1' }],
    ['Registry.Example.com/team/app', { domain: 'Registry.Example.com', path: 'team/app' }],
    [`app@sha256:${HEX64}`, { path: 'app', digest: `sha256:${HEX64}` }],
    [`app:v1@sha256:${HEX64}`, { path: 'app', tag: 'v1', digest: `sha256:${HEX64}` }],
    [HEX64, { path: HEX64 }],
    [`sha256:${HEX64}`, { path: 'sha256', tag: HEX64 }],
    ['1d0f11e69ed0', { path: '1d0f11e69ed0' }],
  ];
  for (const [text, want] of cases) {
    const r = parseImageReference(text);
    assert.deepEqual({ domain: r.domain, path: r.path, tag: r.tag, digest: r.digest }, { domain: undefined, tag: undefined, digest: undefined, ...want }, text);
  }
});

test('invalid references are bad input (exit 4) that says why', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['a b', /white space/],
    ['http://x', /URL/],
    ['docker://busybox', /URL/],
    ['/nope/x.tar', /lower-case letters/],
    ['./x', /not a registry host/],
    ['Busybox', /lower case/],
    ['a//b', /lower-case letters/],
    ['a/', /lower-case letters/],
    ['-a', /lower-case letters/],
    ['a:-tag', /not a tag/],
    [`a:${'t'.repeat(129)}`, /not a tag/],
    ['a@sha256:abc', /not a digest/],
    ['a@', /not a digest/],
    ['-host:5000/a', /not a registry host/],
    [`${'a'.repeat(256)}`, /longer than 255/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseImageReference(text), (err: Error) => {
      assert.ok(err instanceof BadInputError, text);
      assert.equal((err as BadInputError).exitCode, ExitCode.badInput);
      assert.match(err.message, why, text);
      return true;
    });
  }
});

test('output names: repo and tag, latest by default; a digest or a bad name is a usage error', () => {
  assert.deepEqual(parseTagName('app'), { repo: 'app', tag: 'latest' });
  assert.deepEqual(parseTagName('127.0.0.1:5000/app:v1'), { repo: '127.0.0.1:5000/app', tag: 'v1' });
  assert.throws(() => parseTagName(`app@sha256:${HEX64}`), (err: Error) => err instanceof UsageError && /digest reference/.test(err.message));
  assert.throws(() => parseTagName('App:1'), (err: Error) => err instanceof UsageError && /not a valid image name/.test(err.message));
});
