import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { teeStream } from '../../src/flatten/tee-stream.js';

async function* chunks(count: number, size: number, failAt = -1): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error('source broke');
    await new Promise((r) => setImmediate(r));
    yield Buffer.alloc(size, i % 251);
  }
}

const digest = async (s: AsyncIterable<Buffer>) => {
  const h = createHash('sha256');
  for await (const c of s) h.update(c);
  return h.digest('hex');
};

test('both readers see the same bytes, the main one held back while the side one lags beyond the limit', async () => {
  let mostAhead = 0;
  let mainBytes = 0;
  let sideBytes = 0;
  const tee = teeStream(chunks(50, 1000), async (branch) => {
    const h = createHash('sha256');
    for await (const c of branch) {
      await new Promise((r) => setTimeout(r, 1));
      sideBytes += c.length;
      h.update(c);
    }
    return h.digest('hex');
  }, 4000);
  const h = createHash('sha256');
  for await (const c of tee.stream) {
    mainBytes += c.length;
    mostAhead = Math.max(mostAhead, mainBytes - sideBytes);
    h.update(c);
  }
  assert.equal(await tee.result, h.digest('hex'));
  assert.equal(await tee.result, await digest(chunks(50, 1000)));
  assert.ok(mostAhead <= 6000, `main ran ${mostAhead} bytes ahead of a 4000-byte limit`);
});

test('a failing side reader no longer holds the main stream back and its promise carries the failure', async () => {
  const tee = teeStream(chunks(20, 1000), async (branch) => {
    for await (const _ of branch) throw new Error('side broke');
    return 0;
  }, 1000);
  assert.equal(await digest(tee.stream), await digest(chunks(20, 1000)));
  await assert.rejects(tee.result, /side broke/);
});

test('a main stream abandoned or broken before its end fails the side reader', async () => {
  const abandoned = teeStream(chunks(20, 1000), (branch) => digest(branch));
  for await (const _ of abandoned.stream) break;
  await assert.rejects(abandoned.result, /abandoned before its end/);
  const broken = teeStream(chunks(20, 1000, 5), (branch) => digest(branch));
  await assert.rejects(digest(broken.stream), /source broke/);
  await assert.rejects(broken.result, /source broke/);
});
