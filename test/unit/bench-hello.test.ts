/** bench hello's pure parts: ready rules, fatrace's event lines (recorded on this host), the bytes-read mapping. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseReadyRule, readyRuleText } from '../../src/bench/hello/ready-rule.js';
import { parseFatraceLine } from '../../src/host/file-access-trace.js';
import { bytesRead, overlayLayerDirs } from '../../src/bench/hello/bytes-read.js';
import { UsageError } from '../../src/errors.js';

describe('ready rules', () => {
  it('parses exit, log:REGEX and http:PORT/PATH, and writes them back', () => {
    assert.deepEqual(parseReadyRule('exit'), { kind: 'exit' });
    assert.deepEqual(parseReadyRule('log:ready (to|for) connections'), { kind: 'log', pattern: 'ready (to|for) connections' });
    assert.deepEqual(parseReadyRule('http:8080/health'), { kind: 'http', port: 8080, path: '/health' });
    assert.deepEqual(parseReadyRule('http:80'), { kind: 'http', port: 80, path: '/' });
    for (const t of ['exit', 'log:a:b', 'http:80/x?y=1']) assert.equal(readyRuleText(parseReadyRule(t)), t);
  });

  it('refuses a bad rule with one line naming the flag', () => {
    for (const bad of ['', 'exit0', 'log:', 'log:(unclosed', 'http:', 'http:0/', 'http:70000/', 'http:x/', 'tcp:80']) {
      assert.throws(() => parseReadyRule(bad), (err: unknown) => err instanceof UsageError && /^--ready/.test(err.message) && !err.message.includes('\n'), bad);
    }
  });
});

describe('fatrace lines', () => {
  // recorded with `fatrace -c -f OR` while a busybox container started on this host
  const recorded = [
    'runc:[2:INIT](13503): RO  /var/lib/docker/overlay2/c269/diff/bin/busybox',
    'sh(13539): O   /var/lib/docker/overlay2/c269/diff/bin/busybox',
    'cat(13539): O   /var/lib/docker/overlay2/c269/diff/data/known-a',
    'node(13165): R   /work/x (deleted)',
  ];

  it('reads comm, pid, event letters and path', () => {
    assert.deepEqual(parseFatraceLine(recorded[0]!), { comm: 'runc:[2:INIT]', pid: 13503, types: 'RO', path: '/var/lib/docker/overlay2/c269/diff/bin/busybox' });
    assert.deepEqual(parseFatraceLine(recorded[2]!), { comm: 'cat', pid: 13539, types: 'O', path: '/var/lib/docker/overlay2/c269/diff/data/known-a' });
    assert.equal(parseFatraceLine('fatrace: Failed to call fanotify_init: Operation not permitted'), undefined);
    assert.equal(parseFatraceLine(''), undefined);
  });

  it('counts each layer file once with its size, against the image bytes', () => {
    const events = recorded.map((l) => parseFatraceLine(l)!);
    const dirs = overlayLayerDirs({ UpperDir: '/var/lib/docker/overlay2/c269/diff', LowerDir: '/var/lib/docker/overlay2/a1/diff:/var/lib/docker/overlay2/b2/diff', MergedDir: '/m', WorkDir: '/w' });
    assert.deepEqual(dirs, ['/var/lib/docker/overlay2/c269/diff', '/var/lib/docker/overlay2/a1/diff', '/var/lib/docker/overlay2/b2/diff']);
    const sizes: Record<string, number> = { '/var/lib/docker/overlay2/c269/diff/bin/busybox': 2_000_000, '/var/lib/docker/overlay2/c269/diff/data/known-a': 12_345 };
    const r = bytesRead(events, dirs, 4_000_000, (p) => sizes[p]);
    assert.equal(r.files, 2);
    assert.equal(r.bytes, 2_012_345);
    assert.equal(r.share, 2_012_345 / 4_000_000);
    assert.deepEqual(r.largest, [{ path: '/bin/busybox', bytes: 2_000_000 }, { path: '/data/known-a', bytes: 12_345 }]);
    // a single-layer image has no LowerDir
    assert.deepEqual(overlayLayerDirs({ UpperDir: '/u/diff' }), ['/u/diff']);
  });
});
