/**
 * Uploads go to the engine as plain node:http requests (engine-http.ts's engineUpload; an import to a local engine
 * from a worker thread, upload-thread.ts), not through dockerode:
 * an import, a load (also one opened before its archive is ready) and an archive put, each checked against the engine itself (`docker image inspect`,
 * `docker cp` out of the container, read by GNU tar), and each failure told apart: the engine's own refusal
 * of a bad tar, and a body that fails on its way, whose error is the one thrown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import type { EngineClient } from '../../src/engine/engine-client.js';
import { EngineRequestError, EngineUnreachableError } from '../../src/errors.js';
import { loadIntoEngine } from '../../src/image/image-writer-docker-archive.js';
import type { ImageToWrite } from '../../src/image/image-writer.js';
import { DOCKER_CLI, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { imageIds } from '../support/seeded-daemon.js';

/** A tar of `files` written by GNU tar (the writer is not stowage's). */
function gnuTar(dir: string, files: Record<string, string>): Buffer {
  const root = join(dir, `tree-${Object.keys(files).length}`);
  for (const [name, text] of Object.entries(files)) {
    execFileSync('mkdir', ['-p', join(root, name, '..')]);
    writeFileSync(join(root, name), text);
  }
  return execFileSync('tar', ['-C', root, '--format=posix', '-cf', '-', ...Object.keys(files)], { maxBuffer: 16 << 20 });
}

async function* chunksOf(buf: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('uploads to a real engine over plain HTTP', () => {
  let engine: EngineClient;
  let dir: string;
  const made: string[] = [];

  before(async () => {
    engine = await connectEngine();
    dir = mkdtempSync(join(tmpdir(), 'stowage-uploads-'));
  });

  after(async () => {
    await removeImages(made);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an import streamed in small chunks becomes an image with exactly that layer', async () => {
    const tar = gnuTar(dir, { 'etc/greeting': 'hello\n', 'opt/data/x': 'x'.repeat(70_000) });
    // onSent comes once every chunk is taken and before the engine's answer (flatten compares meanwhile)
    let taken = 0;
    let answered = false;
    const sentWhen: { taken: number; answered: boolean }[] = [];
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const c of chunksOf(tar)) {
        taken += c.length;
        yield c;
      }
    }
    const id = await engine.importImage(counted(), { onSent: () => sentWhen.push({ taken, answered }) }).finally(() => { answered = true; });
    made.push(id);
    assert.deepEqual(sentWhen, [{ taken: tar.length, answered: false }]);
    const layers = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', id])).stdout) as string[];
    const sha = execFileSync('sha256sum', { input: tar }).toString().split(' ')[0];
    assert.deepEqual(layers, [`sha256:${sha}`], 'the engine hashed the bytes sent: the tar as GNU tar wrote it');
  });

  test('a tar the engine refuses is an EngineRequestError with the engine\'s reason, and no image is left', async () => {
    const before = await imageIds(process.env, { all: true });
    await assert.rejects(engine.importImage(chunksOf(Buffer.alloc(3000, 'x'))), (err: unknown) => {
      assert.ok(err instanceof EngineRequestError, String(err));
      assert.match(err.message, /invalid tar header/);
      return true;
    });
    await assert.rejects(engine.loadImage(chunksOf(Buffer.alloc(3000, 'x'))), /could not load the image: .*invalid tar header/);
    assert.deepEqual(await imageIds(process.env, { all: true }), before);
  });

  test('a body that fails on its way rejects with its own error, and the engine keeps nothing of it', async () => {
    const before = await imageIds(process.env, { all: true });
    const tar = gnuTar(dir, { 'big/file': 'y'.repeat(400_000) });
    const failure = new Error('the source broke after 200 kB');
    async function* broken(): AsyncGenerator<Buffer> {
      yield tar.subarray(0, 200_000);
      throw failure;
    }
    let sent = false;
    await assert.rejects(engine.importImage(broken(), { onSent: () => { sent = true; } }), (err: unknown) => err === failure);
    assert.equal(sent, false, 'a body that broke was never all sent');
    assert.deepEqual(await imageIds(process.env, { all: true }), before);
  });

  test('an import\'s bytes leave the process while its main thread is busy: a worker thread writes them to the engine', async () => {
    // flatten makes the squashed layer on the main thread and indexes, plans and verifies there meanwhile; the
    // engine must go on reading through that work, not only the ~200 kB the kernel holds for the socket
    const tar = gnuTar(dir, { 'opt/busy/blob': 'z'.repeat(12 << 20) });
    const ahead = 8 << 20;
    // bytes this process has written (every thread's writes, sockets included), as the kernel counts them
    const written = () => Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
    let leftDuringBusy = -1;
    async function* body(): AsyncGenerator<Buffer> {
      const start = written();
      yield tar.subarray(0, ahead);
      const until = Date.now() + 2000;
      while (Date.now() < until) { /* the main thread busy, as a long synchronous step holds it */ }
      leftDuringBusy = written() - start;
      yield tar.subarray(ahead);
    }
    const id = await engine.importImage(body());
    made.push(id);
    assert.ok(leftDuringBusy >= ahead, `only ${leftDuringBusy} of the ${ahead} bytes made before the main thread got busy left the process while it was`);
    const layers = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', id])).stdout) as string[];
    const sha = execFileSync('sha256sum', { input: tar }).toString().split(' ')[0];
    assert.deepEqual(layers, [`sha256:${sha}`], 'the engine got the tar as GNU tar wrote it');
  });

  test('an import whose body stalls times out: it rejects, the engine keeps nothing, and its upload thread ends', async () => {
    const before = await imageIds(process.env, { all: true });
    const threads = () => readdirSync('/proc/self/task').length;
    const idle = threads();
    const tar = gnuTar(dir, { 'stall/file': 's'.repeat(300_000) });
    async function* stalled(): AsyncGenerator<Buffer> {
      yield tar.subarray(0, 100_000);
      await new Promise<void>(() => { /* never */ });
    }
    await assert.rejects(engine.importImage(stalled(), { timeoutMs: 1500 }), (err: unknown) => err instanceof EngineUnreachableError && err.failure === 'timeout');
    const deadline = Date.now() + 10_000;
    while (threads() > idle && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(threads(), idle, 'the upload thread ended with the request');
    assert.deepEqual(await imageIds(process.env, { all: true }), before);
  });

  test('a load opened before its archive is ready (a PAX global header goes first) loads once the wait ends; a failed wait leaves nothing', async () => {
    const tar = gnuTar(dir, { 'etc/early': 'early\n', 'opt/e/x': 'e'.repeat(50_000) });
    const sha = execFileSync('sha256sum', { input: tar }).toString().split(' ')[0];
    const repo = uniqueName('stowage-early-load');
    const image = (tag: string): ImageToWrite => ({
      layers: [{ size: tar.length, compression: 'none', open: () => chunksOf(tar, 4096) }],
      config: (diffIds) => Buffer.from(JSON.stringify({ architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} })),
      repoTags: [`${repo}:${tag}`],
    });
    let release!: () => void;
    const ready = new Promise<void>((resolve) => { release = resolve; });
    let settled = false;
    const loading = loadIntoEngine(engine, image('1'), ready).finally(() => { settled = true; });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(settled, false, 'the load waits for its archive');
    release();
    const written = await loading;
    made.push(written.id);
    const inspected = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .}}', `${repo}:1`])).stdout) as { Id: string; RootFS: { Layers: string[] } };
    assert.deepEqual([inspected.Id, inspected.RootFS.Layers], [written.id, [`sha256:${sha}`]], 'the engine loaded the archive after the lead block: its ID, the layer as GNU tar wrote it');

    const before = await imageIds(process.env, { all: true });
    const failure = new Error('the layer never came');
    const failing = new Promise<void>((_resolve, reject) => setTimeout(() => reject(failure), 200));
    failing.catch(() => undefined);
    await assert.rejects(loadIntoEngine(engine, image('2'), failing), (err: unknown) => err === failure);
    assert.deepEqual(await imageIds(process.env, { all: true }), before);
  });

  test('an archive put into a container arrives whole (docker cp out, read by GNU tar)', async () => {
    const image = await ensureBusybox();
    const name = uniqueName('stowage-upload');
    await docker(['create', '--name', name, '--network', 'none', image, 'true']);
    try {
      const tar = gnuTar(dir, { 'put/a.txt': 'alpha\n', 'put/b/c.txt': 'c'.repeat(123_456) });
      await engine.putArchive(name, '/tmp', chunksOf(tar, 4096));
      const out = join(dir, 'out');
      execFileSync('mkdir', ['-p', out]);
      execFileSync('sh', ['-c', `${DOCKER_CLI} cp ${name}:/tmp/put - | tar -C ${out} -xf -`]);
      assert.equal(readFileSync(join(out, 'put/a.txt'), 'utf8'), 'alpha\n');
      assert.equal(readFileSync(join(out, 'put/b/c.txt'), 'utf8'), 'c'.repeat(123_456));
    } finally {
      await docker(['rm', '-f', '-v', name]);
    }
  });
});
