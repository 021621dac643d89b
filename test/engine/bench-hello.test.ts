/**
 * bench hello against the real engine and a real docker-registry. Oracles: the registry's own /v2 API
 * (catalog, manifests), the engine's event log (image delete and pull per repetition), `docker image
 * inspect` (IDs, tags, Size), and file sizes the test wrote itself for the bytes-read figure.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs, docker, removeImages, uniqueName } from '../support/docker-cli.js';
import { LocalRegistry } from '../support/local-registry.js';
import { runCli } from '../support/run-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { capabilityContext } from '../../src/context.js';
import { RecordingProgress } from '../../src/progress.js';
import { runHelloBench, type HelloBenchResult } from '../../src/bench/hello/hello-bench.js';
import { parseReadyRule } from '../../src/bench/hello/ready-rule.js';

/** Imports a busybox rootfs plus `files` (a unique marker makes every layer the test's own) as `tag`. */
async function importImage(tag: string, files: Record<string, Buffer | string>, changes: string[], without: string[] = []): Promise<{ rootfs: string }> {
  const rootfs = busyboxRootfs();
  for (const path of without) rmSync(join(rootfs, path));
  for (const applet of ['httpd']) spawnSync('ln', ['-s', 'busybox', join(rootfs, 'bin', applet)]);
  writeFileSync(join(rootfs, 'marker'), `${tag}\n`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(rootfs, path, '..'), { recursive: true });
    writeFileSync(join(rootfs, path), content);
  }
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  await docker(['import', ...changes.flatMap((c) => ['-c', c]), '-', tag], { input: tar.stdout });
  return { rootfs };
}

async function imageSize(tag: string): Promise<{ id: string; size: number; tags: string[] }> {
  const { stdout } = await docker(['image', 'inspect', '-f', '{{json .}}', tag]);
  const i = JSON.parse(stdout) as { Id: string; Size: number; RepoTags: string[] };
  return { id: i.Id, size: i.Size, tags: i.RepoTags };
}

/** The bench names this file's images (slugs in registry names); another bench may run beside the test. */
const ours = (line: string) => /stowage-hello\/(stowage-hello-[a-z]+-\d+-[0-9a-f]{6}|known-\d+|layers-\d+)[:-]/.test(line)
  || new RegExp(`^stowage-hello-flat/layers-${process.pid}:`).test(line);

async function helloContainers(): Promise<string[]> {
  const { stdout } = await docker(['ps', '-a', '--filter', 'label=stowage.bench=hello', '--format', '{{.Image}}']);
  return stdout.split('\n').filter((l) => l && ours(l));
}

async function leftoverHelloImages(): Promise<string[]> {
  const { stdout } = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  return stdout.split('\n').filter(ours);
}

function registryDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('stowage-registry-'));
}

describe('stowage bench hello', () => {
  const made: string[] = [];
  const dirs: string[] = [];
  after(async () => {
    await removeImages(made);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('pushes, pulls from a clean state and runs to exit; the files read until ready are the known ones', { timeout: 150_000 }, async () => {
    const tag = `${uniqueName('stowage-hello-known')}:1`;
    made.push(tag);
    // the start reads busybox (exec), /data/a and /data/b; /data/unread is never opened
    const files = { 'data/a': Buffer.alloc(10_000, 1), 'data/b': Buffer.alloc(3_000, 2), 'data/unread': Buffer.alloc(200_000, 3) };
    // no /etc/passwd or /etc/group: runc reads them at start when the image has them
    const { rootfs } = await importImage(tag, files, ['ENV PATH=/bin', 'CMD ["/bin/sh", "-c", "cat /data/a /data/b > /dev/null"]'], ['etc/passwd', 'etc/group']);
    dirs.push(rootfs);
    const before = await imageSize(tag);
    const registry = await new LocalRegistry().start();
    const since = Math.floor(Date.now() / 1000) - 1;
    let result: HelloBenchResult;
    try {
      result = await runHelloBench({ images: [{ name: `known-${process.pid}`, image: tag, rule: parseReadyRule('exit') }], repetitions: 2, registry: registry.address, bytesRead: true },
        capabilityContext());
      // the registry's own answer: the repository and its manifest
      const catalog = await (await fetch(`http://${registry.address}/v2/_catalog`)).json() as { repositories: string[] };
      assert.ok(catalog.repositories.includes(`stowage-hello/known-${process.pid}`), JSON.stringify(catalog));
      const manifest = await (await fetch(`http://${registry.address}/v2/stowage-hello/known-${process.pid}/manifests/layered`, {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })).json() as { config: { size: number }; layers: { size: number }[] };
      assert.equal(manifest.layers.length, 1);
      assert.equal(result.images[0]!.pulledBytes, manifest.config.size + manifest.layers[0]!.size);
    } finally {
      registry.stop();
    }
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = result.images[0]!;
    assert.equal(r.error, undefined);
    assert.equal(r.runs.length, 2);
    for (const run of r.runs) {
      assert.ok(run.pushMs > 0 && run.pullMs > 0 && run.runMs > 0);
      assert.equal(run.layersPulled, 1, 'the one layer was fetched: nothing was left locally');
      assert.equal(run.layersAlreadyPresent, 0);
    }
    // the engine's event log: the image was deleted and pulled once per repetition
    const events = await docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.ID}}']);
    const lines = events.stdout.split('\n').filter(Boolean);
    assert.equal(lines.filter((l) => l.startsWith('delete ') && l.includes(before.id)).length, 2, events.stdout);
    assert.equal(lines.filter((l) => l.startsWith('pull ') && l.includes(`stowage-hello/known-${process.pid}`)).length, 2, events.stdout);
    // put back as it was: same ID, same tags
    const afterwards = await imageSize(tag);
    assert.equal(afterwards.id, before.id);
    assert.deepEqual(afterwards.tags, before.tags);
    // bytes read: the three known files of known sizes against Docker's own Size for the image
    const busybox = statSync(join(rootfs, 'bin', 'busybox')).size;
    const b = r.bytesRead!;
    assert.deepEqual(b.largest.map((f) => f.path).sort(), ['/bin/busybox', '/data/a', '/data/b']);
    assert.equal(b.bytes, busybox + 10_000 + 3_000);
    assert.equal(b.imageBytes, before.size);
    assert.equal(b.share, (busybox + 10_000 + 3_000) / before.size);
    assert.equal(result.suite.bytesReadShare, b.share);
    assert.deepEqual(await helloContainers(), []);
    assert.deepEqual(await leftoverHelloImages(), []);
  });

  it('starts and stops its own registry; log and http ready rules', { timeout: 150_000 }, async () => {
    const logTag = `${uniqueName('stowage-hello-log')}:1`;
    const httpTag = `${uniqueName('stowage-hello-http')}:1`;
    made.push(logTag, httpTag);
    dirs.push((await importImage(logTag, {}, ['ENV PATH=/bin', 'CMD ["/bin/sh", "-c", "sleep 1; echo server is ready now; sleep 600"]'])).rootfs);
    dirs.push((await importImage(httpTag, { 'www/index.html': 'hello\n' }, ['ENV PATH=/bin', 'CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]'])).rootfs);
    const dirsBefore = registryDirs();
    const progress = new RecordingProgress();
    const result = await runHelloBench({
      images: [
        { name: logTag, image: logTag, rule: parseReadyRule('log:ready now$') },
        { name: httpTag, image: httpTag, rule: parseReadyRule('http:8080/index.html') },
      ],
      repetitions: 1, bytesRead: false,
    }, capabilityContext({ progress }));
    assert.deepEqual(result.images.map((i) => i.error), [undefined, undefined]);
    // the log container slept a second before its line: the ready time includes it
    assert.ok(result.images[0]!.runs[0]!.runMs >= 1000, `run ${result.images[0]!.runs[0]!.runMs} ms`);
    assert.equal(result.images[1]!.ready, 'http:8080/index.html');
    assert.equal(result.registry.startedByStowage, true);
    assert.ok(progress.steps.includes('starting docker-registry') && progress.steps.at(-1) === 'stopping docker-registry', progress.steps.join(', '));
    // stopped: nothing answers at its address, and its directory is gone
    const gone = await fetch(`http://${result.registry.address}/v2/`).then(() => false, () => true);
    assert.ok(gone, 'the registry stopped');
    // (another bench may have started its own registry meanwhile: only this one's address counts)
    const left = registryDirs().filter((d) => !dirsBefore.includes(d)).filter((d) => {
      try { return readFileSync(join(tmpdir(), d, 'config.yml'), 'utf8').includes(`addr: ${result.registry.address}\n`); } catch { return false; }
    });
    assert.deepEqual(left, []);
    assert.deepEqual(await helloContainers(), []);
    assert.deepEqual(await leftoverHelloImages(), []);
  });

  it('an image never ready, a registry that refuses or dies mid-push: clear errors, the image kept, nothing left', { timeout: 300_000 }, async () => {
    const tag = `${uniqueName('stowage-hello-never')}:1`;
    made.push(tag);
    dirs.push((await importImage(tag, {}, ['ENV PATH=/bin', 'CMD ["/bin/sh", "-c", "sleep 600"]'])).rootfs);
    const before = await imageSize(tag);
    // a missing image: one line, exit 4, before any registry starts
    const missing = await runCli(['bench', 'hello', `${tag}-missing`]);
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /^stowage: no image \S+-missing in the engine\n/);
    assert.doesNotMatch(missing.stderr, /starting docker-registry|    at /);
    const never = await runCli(['bench', 'hello', tag, '--ready', 'log:never printed', '-n', '1', '--timeout', '3s', '--bytes-read', 'off'], { timeoutMs: 240_000 });
    assert.equal(never.code, 1, never.stderr);
    assert.match(never.stdout, /was not ready \(log:never printed\) within 3 s/);
    assert.equal((await imageSize(tag)).id, before.id, 'the image is back');
    // a "registry" that answers /v2/ and then refuses uploads, and one that drops the connection mid-upload
    // (the engine retries a dropped upload 5 times with growing pauses: this part takes about a minute)
    for (const mode of ['refuse', 'die'] as const) {
      const server: Server = createServer((req, res) => {
        if (req.url === '/v2/' || req.url === '/v2') { res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'); return; }
        if (req.method === 'HEAD') { res.writeHead(404).end(); return; }
        if (mode === 'refuse') { res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"read-only"}]}'); return; }
        req.socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as { port: number }).port;
        const r = await runCli(['--json', 'bench', 'hello', tag, '--registry', `127.0.0.1:${port}`, '-n', '1', '--bytes-read', 'off'], { timeoutMs: 240_000 });
        assert.equal(r.code, 1, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.deepEqual(schemaValidator('bench-hello.schema.json')(doc), []);
        assert.match(doc.result.images[0].error, /could not push/);
        assert.equal(doc.result.findings[0].id, 'bench/hello-failed');
      } finally {
        server.close();
        server.closeAllConnections();
      }
      assert.equal((await imageSize(tag)).id, before.id, `the image is kept (${mode})`);
    }
    // a registry binary that does not serve: one line, exit 6, no stack trace
    const fake = join(tmpdir(), `${uniqueName('fake-registry')}`);
    writeFileSync(fake, '#!/bin/sh\necho "configuration error: storage: no" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    dirs.push(fake);
    const broken = await runHelloBench({ images: [{ name: 'x', image: tag, rule: parseReadyRule('exit') }], registryBin: fake }, capabilityContext())
      .then(() => undefined, (err: Error) => err);
    assert.match(String(broken?.message), /docker-registry did not start on 127\.0\.0\.1: configuration error/);
    assert.deepEqual(await helloContainers(), []);
    assert.deepEqual(await leftoverHelloImages(), []);
  });

  it('--flatten measures a one-layer variant beside the layered image', { timeout: 150_000 }, async () => {
    const base = `${uniqueName('stowage-hello-base')}:1`;
    const tag = `${uniqueName('stowage-hello-layers')}:1`;
    made.push(base, tag);
    dirs.push((await importImage(base, {}, ['ENV PATH=/bin'])).rootfs);
    const ctx = join(tmpdir(), uniqueName('stowage-hello-ctx'));
    mkdirSync(ctx);
    dirs.push(ctx);
    writeFileSync(join(ctx, 'extra.bin'), Buffer.alloc(50_000, 9));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nCOPY extra.bin /extra.bin\nCMD ["/bin/sh", "-c", "cat /extra.bin > /dev/null"]\n`);
    await docker(['build', '-q', '--network', 'host', '-t', tag, ctx], { env: { DOCKER_BUILDKIT: '0' } });
    // the base image holds the first layer: the bench must say its pulls were not from a clean state
    const registry = await new LocalRegistry().start();
    try {
      const result = await runHelloBench({ images: [{ name: `layers-${process.pid}`, image: tag, rule: parseReadyRule('exit') }], repetitions: 1, registry: registry.address, flatten: true, bytesRead: false },
        capabilityContext());
      const [layered, flat] = result.images;
      assert.equal(layered?.variant, 'layered');
      assert.equal(flat?.variant, 'flattened', JSON.stringify(result.images.map((i) => i.error)));
      assert.equal(flat.error, undefined);
      assert.equal(layered.layers, 2);
      assert.equal(flat.layers, 1, JSON.stringify(flat));
      assert.equal(layered.sharedLayers, 1);
      assert.ok(result.findings.some((f) => f.id === 'bench/hello-shared-layers'));
      assert.equal(layered.runs[0]!.layersAlreadyPresent, 1, 'the base layer stayed through the base image');
      assert.ok(result.suite.flattenedStartRatio! > 0);
      // the registry's answer: the flattened manifest has one layer, the layered two
      for (const [variant, layers] of [['layered', 2], ['flattened', 1]] as const) {
        const m = await (await fetch(`http://${registry.address}/v2/stowage-hello/layers-${process.pid}/manifests/${variant}`, {
          headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
        })).json() as { layers: unknown[] };
        assert.equal(m.layers.length, layers, variant);
      }
    } finally {
      registry.stop();
    }
    assert.deepEqual(await helloContainers(), []);
    assert.deepEqual(await leftoverHelloImages(), []);
  });
});
