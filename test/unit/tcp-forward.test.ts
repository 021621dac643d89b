/**
 * bench hello's TCP forwarder with --latency: bytes arrive whole, in order and late by the delay, and a reader
 * slower than its source holds the source back (TCP back-pressure through the forwarder) instead of the
 * forwarder reading everything into memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { startTcpForward } from '../../src/host/tcp-forward.js';

const SENT = 64 << 20;

/**
 * A server that sends `data` to the first client in 64 KiB writes, each after the last has drained, as fast as
 * that client (here: the forwarder) takes them; `done()` is the bytes whose writes completed so far.
 */
async function source(data: Buffer): Promise<{ server: Server; port: number; done: () => number }> {
  let done = 0;
  const server = createServer((s) => {
    let at = 0;
    const next = () => {
      while (at < data.length) {
        const chunk = data.subarray(at, at + (64 << 10));
        at += chunk.length;
        if (!s.write(chunk, () => { done += chunk.length; })) return void s.once('drain', next);
      }
      s.end();
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port, done: () => done };
}

test('a delayed forward holds a fast source back while its reader does not read, and delivers every byte in order', async () => {
  const data = randomBytes(SENT);
  const { server, port, done } = await source(data);
  const forward = await startTcpForward('127.0.0.1', port, 20);
  const [host, listen] = forward.address.split(':');
  const client = connect({ host, port: Number(listen) });
  client.pause(); // a reader that does not read for now
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // what the source got off its hands: bounded by the kernel's socket buffers and the forwarder's 1 MiB,
    // where a forwarder that reads without limit takes all 64 MiB within milliseconds
    const flushed = done();
    assert.ok(flushed < 24 << 20, `the source got ${flushed} bytes of ${SENT} off its hands while nobody read`);
    const hash = createHash('sha256');
    let got = 0;
    const started = Date.now();
    client.on('data', (c: Buffer) => { hash.update(c); got += c.length; });
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    assert.equal(got, SENT);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.ok(Date.now() - started >= 20, 'the end comes at least one delay after the reader resumed');
  } finally {
    client.destroy();
    await forward.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
