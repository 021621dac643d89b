/**
 * bench hello's TCP forwarder with --latency: a round trip through it takes the delay each way, bytes arrive
 * whole and in order, and a reader slower than its source holds the source back (TCP back-pressure through the
 * forwarder) instead of the forwarder reading everything into memory.
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
    client.on('data', (c: Buffer) => { hash.update(c); got += c.length; });
    client.resume();
    await new Promise((resolve) => client.once('end', resolve));
    assert.equal(got, SENT);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
  } finally {
    client.destroy();
    await forward.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The time from writing `message` to reading its echo back whole, through `port` on 127.0.0.1. */
async function roundTrip(port: number, message: Buffer): Promise<{ ms: number; echoed: Buffer }> {
  const client = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => client.once('connect', resolve));
  try {
    const chunks: Buffer[] = [];
    let got = 0;
    const started = performance.now();
    const back = new Promise<void>((resolve) => client.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= message.length) resolve();
    }));
    client.write(message);
    await back;
    return { ms: performance.now() - started, echoed: Buffer.concat(chunks) };
  } finally {
    client.destroy();
  }
}

test('a round trip through a delayed forward takes the delay each way; without a delay it does not', async () => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  const port = (echo.address() as { port: number }).port;
  const delayed = await startTcpForward('127.0.0.1', port, 150);
  const plain = await startTcpForward('127.0.0.1', port, 0);
  const portOf = (f: { address: string }) => Number(f.address.split(':')[1]);
  try {
    // several writes' worth, so that order is tested too
    const message = Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.from(`message ${i};`)));
    const slow = await roundTrip(portOf(delayed), message);
    const fast = await roundTrip(portOf(plain), message);
    assert.deepEqual(slow.echoed, message);
    assert.deepEqual(fast.echoed, message);
    assert.ok(slow.ms >= 300, `a round trip with 150 ms each way took ${slow.ms.toFixed(0)} ms`);
    assert.ok(fast.ms < 150, `a round trip without a delay took ${fast.ms.toFixed(0)} ms`);
  } finally {
    await delayed.close();
    await plain.close();
    await new Promise((resolve) => echo.close(resolve));
  }
});
