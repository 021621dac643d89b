import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { contentHasher } from '../../src/image/content-hash.js';
import { crc32, crc32Implementation, loadNativeCrc32 } from '../../src/image/crc32.js';

/** Python's zlib.crc32 (CPython on the system's zlib) after each of `sizes` bytes of `data`, continued. */
function pythonRunning(data: Buffer, sizes: number[]): number[] {
  return JSON.parse(execFileSync('python3', ['-c', [
    'import sys, json, zlib',
    'data = sys.stdin.buffer.read()',
    'sizes = json.loads(sys.argv[1])',
    'value, at, out = 0, 0, []',
    'for n in sizes:',
    '    value = zlib.crc32(data[at:at + n], value)',
    '    at += n',
    '    out.append(value)',
    'print(json.dumps(out))',
  ].join('\n'), JSON.stringify(sizes)], { input: data }).toString()) as number[];
}

/** Our running value over the same pieces. */
function running(data: Buffer, sizes: number[]): number[] {
  let value = 0;
  let at = 0;
  return sizes.map((n) => {
    value = crc32(data.subarray(at, at + n), value);
    at += n;
    return value;
  });
}

test('crc32: the same values as Python\'s zlib.crc32, continued across pieces of every small size and a large one, with zlib\'s implementation and with the native one', async () => {
  // 0 to 70 bytes (below, at and above the 16- and 64-byte folds of a carry-less implementation), pages, 1 MiB
  const sizes = [...Array.from({ length: 71 }, (_, i) => i), 4095, 4096, 4097, 1 << 20, 12345];
  const data = randomBytes(sizes.reduce((s, n) => s + n, 0));
  const expected = pythonRunning(data, sizes);
  // nothing has loaded the native implementation in this process yet: the first call is zlib's
  assert.equal(crc32Implementation(), 'zlib');
  const byZlib = running(data, sizes);
  assert.deepEqual(byZlib, expected);
  const native = await loadNativeCrc32();
  // CI's machine (Linux, x86-64, glibc) has @node-rs/crc32's binary: flatten's verification runs on it there
  if (process.platform === 'linux' && process.arch === 'x64') {
    assert.ok(native, '@node-rs/crc32 did not load');
    assert.equal(crc32Implementation(), 'native');
  }
  assert.deepEqual(running(data, sizes), expected);
  // a whole buffer at once, and a file's checksum as flatten writes it
  assert.equal(crc32(data), expected.at(-1));
  const h = contentHasher('crc32');
  h.update(data.subarray(0, 100));
  h.update(data.subarray(100));
  assert.equal(h.digest(), `crc32:${expected.at(-1)!.toString(16).padStart(8, '0')}`);
  assert.equal(contentHasher('crc32').digest(), 'crc32:00000000');
});
