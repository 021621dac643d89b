/**
 * Docker is the oracle for flatten: a flattened fixture must run with the same output, `docker export` the
 * same filesystem (both exports read by Python's tarfile), keep the same config, have the same ID when flattened twice, and survive a push to and a
 * pull from a real registry. Failures (bad input, an existing tag, a full disk, a load that breaks halfway)
 * leave no file and no tag behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLASSIC_BUILD, describeExport, exportWithPython } from '../support/export-oracle.js';
import { buildImage, docker, ensureBusybox, removeImages, uniqueName, BUSYBOX_IMAGE } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';
import { LoopDisk } from '../support/loop-disk.js';
import { LocalRegistry } from '../support/local-registry.js';
import { capabilityContext } from '../../src/context.js';
import { flattenImage, type FlattenOptions } from '../../src/flatten/flatten-image.js';
import { RecordingProgress, silentProgress } from '../../src/progress.js';

/** `docker export` of a container of `image`, read by Python's tarfile and described path by path. */
async function exported(image: string): Promise<Map<string, string>> {
  return describeExport(await exportWithPython(image));
}

async function run(image: string): Promise<string> {
  const r = await docker(['run', '--rm', '--network', 'none', image]);
  return r.stdout;
}

async function inspect(image: string, format: string): Promise<string> {
  return (await docker(['image', 'inspect', '-f', format, image])).stdout.trim();
}

async function exists(image: string): Promise<boolean> {
  return (await docker(['image', 'inspect', image], { allowFailure: true })).code === 0;
}

const appFiles: Record<string, Buffer> = {};
for (let i = 0; i < 6; i++) appFiles[`app/f${i}.bin`] = Buffer.alloc(4096 * (i + 1), i + 1);
for (let i = 0; i < 3; i++) appFiles[`app/sub/s${i}.txt`] = Buffer.alloc(700, 65 + i);

/** The base the storage fixture is built on: busybox plus a directory the fixture re-creates. */
const BASE_FIXTURE = [`FROM ${BUSYBOX_IMAGE}`, 'RUN mkdir -p /srv/www && echo old > /srv/www/index.html && echo x > /srv/www/x'].join('\n');

const storageFixture = (base: string) => [
  `FROM ${base}`,
  'COPY app/ /app/',
  'RUN chown -R 1000:1000 /app && chmod -R 0750 /app/sub',
  'RUN mkdir -p /data/keep /data/gone && head -c 3000 /dev/urandom > /data/gone/f1 && echo b > /data/keep/k && echo x > /data/x'
    + ' && ln /data/x /data/x-link && ln -s ../data/x /data/sym && ln -s /nowhere /data/dangling',
  'RUN rm -rf /data/gone && rm -rf /data/keep && mkdir /data/keep && echo new > /data/keep/n && rm /bin/date',
  'RUN ln /data/x /data/x-link2 && ln /app/f0.bin /app/f0-hard',
  // a directory of the base deleted and re-created: an opaque directory over the base's /srv/www
  'RUN rm -rf /srv/www && mkdir /srv/www && echo new > /srv/www/index.html',
  'ENV APP=/app',
  'WORKDIR /app',
  'USER 1000:1000',
  'EXPOSE 8080',
  'VOLUME /data',
  'LABEL fixture=flatten',
  'HEALTHCHECK --interval=30s CMD true',
  'STOPSIGNAL SIGQUIT',
  'ONBUILD RUN echo hi',
  // what a user would see (no link counts or block totals: overlay2 reports those per merged directory)
  'CMD ["sh", "-c", "cat /data/keep/n; busybox stat -c \'%A %u:%g %s %N\' /app/* /app/sub/* /data/* /srv/www/*; sha256sum /app/*.bin; id; ls /bin | wc -l"]',
].join('\n');

const longDir = Array.from({ length: 5 }, (_, i) => String(i).repeat(60)).join('/');
const NAMES_FIXTURE = [
  `FROM ${BUSYBOX_IMAGE}`,
  'ADD caps.tar /',
  `RUN mkdir -p "/n/sp ace" && echo a > "/n/sp ace/f i l e" && touch "/n/$(printf 'new\\nline')" && touch "/n/$(printf 'bad\\351name')"`
    + ` && mkdir -p /n/${longDir} && echo deep > /n/${longDir}/file-with-a-long-name.txt`,
  'RUN rm "/n/sp ace/f i l e" && echo b > "/n/sp ace/other"',
].join('\n');

function capsTar(dir: string): Buffer {
  const root = join(dir, 'caproot');
  mkdirSync(join(root, 'opt'), { recursive: true });
  writeFileSync(join(root, 'opt', 'ping'), 'ping binary stand-in');
  const setcap = spawnSync('setcap', ['cap_net_raw+ep', join(root, 'opt', 'ping')]);
  if (setcap.status !== 0) throw new Error(`setcap failed: ${setcap.stderr}`);
  const tar = spawnSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', root, '-cf', '-', './opt/ping'], { maxBuffer: 1 << 24 });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  return tar.stdout;
}

describe('flatten against the engine', { timeout: 900_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'stowage-flatten-'));
  const repo = uniqueName('stowage-test/flatten');
  const base = `${repo}:base`;
  const storage = `${repo}:storage`;
  const names = `${repo}:names`;
  const tags: string[] = [base, storage, names];
  const tag = (t: string) => {
    const name = `${repo}:${t}`;
    tags.push(name);
    return name;
  };

  before(async () => {
    await ensureBusybox();
    await buildImage(base, BASE_FIXTURE, {}, CLASSIC_BUILD);
    await buildImage(storage, storageFixture(base), appFiles, CLASSIC_BUILD);
    await buildImage(names, NAMES_FIXTURE, { 'caps.tar': capsTar(work) }, CLASSIC_BUILD);
  });

  after(async () => {
    await removeImages(tags);
    rmSync(work, { recursive: true, force: true });
  });

  test('all layers into one: same run output, same docker export, same config, history kept', async () => {
    const flat = tag('flat');
    const r = await runCli(['flatten', '--json', '-t', flat, storage]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.command, 'flatten');
    assert.equal(doc.result.output.layers, 1);
    assert.equal(doc.result.verification.verified, true);
    // what was compared with what: the input's reading against the engine's record of each layer's size, the
    // output against that reading, and the engine's record of the output against the bytes sent
    assert.deepEqual(doc.result.verification.checks.map((c: { id: string }) => c.id), ['input-layer-sizes', 'output-union', 'engine-record', 'engine-output-size']);
    assert.equal(doc.result.verification.inputCheckedIndependently, true);
    assert.match(r.stdout, /"against": "the layer sizes the engine recorded for the original image \(docker history\)"/);
    assert.ok(doc.result.input.layers >= 5);
    // the chown -R copies and the deleted files are gone
    assert.ok(doc.result.wastedBytesRemoved >= 3000 + 6 * 4096 * 7 / 2, `removed ${doc.result.wastedBytesRemoved}`);
    assert.match(r.stderr, /flatten: /, 'progress on stderr');
    assert.equal(await inspect(flat, '{{len .RootFS.Layers}}'), '1');
    assert.equal(await run(flat), await run(storage));
    assert.deepEqual(await exported(flat), await exported(storage));
    assert.equal(await inspect(flat, '{{json .Config}}'), await inspect(storage, '{{json .Config}}'));
    const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', flat]);
    assert.match(history.stdout, /^stowage flatten/m);
    assert.match(history.stdout, /chown -R 1000:1000 \/app/, 'original history kept');
  });

  test('--keep-base keeps the base layers, the whiteout that hides the base\'s /bin/date and /srv/www re-created as opaque', async () => {
    const flat = tag('keepbase');
    const r = await runCli(['flatten', '--json', '--keep-base', '-t', flat, storage]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    // the image whose layers and history the fixture starts with (another tag of the same image would do)
    assert.equal(await inspect(doc.result.plan.base, '{{.Id}}'), await inspect(base, '{{.Id}}'));
    assert.ok(doc.result.squashedLayer.whiteouts >= 1, 'the whiteout of /bin/date stays');
    assert.ok(doc.result.squashedLayer.opaques >= 1, '/etc, re-created over the base, is opaque');
    const layers = (await inspect(flat, '{{json .RootFS.Layers}}'));
    const baseLayers = JSON.parse(await inspect(base, '{{json .RootFS.Layers}}')) as string[];
    assert.deepEqual((JSON.parse(layers) as string[]).slice(0, baseLayers.length), baseLayers);
    assert.equal((JSON.parse(layers) as string[]).length, baseLayers.length + 1);
    const files = await exported(flat);
    assert.equal(files.has('bin/date'), false);
    assert.deepEqual(files, await exported(storage));
    assert.equal(await run(flat), await run(storage));
  });

  test('names, long paths and a capability xattr survive; --from-layer from the export stream to a docker-archive loads the same', async () => {
    const flat = tag('names-flat');
    const r = await runCli(['flatten', '-t', flat, names]);
    assert.equal(r.code, 0, r.stderr);
    const want = await exported(names);
    const got = await exported(flat);
    assert.deepEqual(got, want);
    assert.ok([...want.values()].some((v) => v.includes('"security.capability"')), 'the fixture has the capability');
    const archive = join(work, 'names-from1.tar');
    const fromLayer = tag('names-from1');
    // streamed from the engine (/images/get), not read from overlay2: content and the kept layer are spooled
    const a = await runCli(['flatten', '--json', '--source', 'export', '--from-layer', '1', '-o', archive, '-t', fromLayer, names]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual([JSON.parse(a.stdout).result.input.source, JSON.parse(a.stdout).result.contentVia], ['engine-export', 'spool']);
    assert.deepEqual(JSON.parse(a.stdout).result.verification.checks.map((c: { id: string }) => c.id), ['input-layer-digests', 'input-layer-sizes', 'output-union', 'kept-layers']);
    await docker(['load', '-i', archive]);
    assert.equal(await inspect(fromLayer, '{{len .RootFS.Layers}}'), '2');
    assert.deepEqual(await exported(fromLayer), want);
  });

  test('105 layers (the analyze fixture with 100+ COPY steps and ENV/LABEL layers) into one', async () => {
    const deep = tag('deep');
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`n${i}.txt`] = `content ${i} `.repeat(10 * (i + 1));
    const lines = Array.from({ length: 104 }, (_, i) => `COPY n${i % 8}.txt /deep/f${i % 20}.txt`);
    await buildImage(deep, [`FROM ${BUSYBOX_IMAGE}`, 'ENV DEEP=1', ...lines, 'LABEL deep=yes'].join('\n'), files, CLASSIC_BUILD);
    const flat = tag('deep-flat');
    const r = await runCli(['flatten', '--json', '-t', flat, deep]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual([doc.result.input.layers, doc.result.output.layers], [105, 1]);
    assert.deepEqual(await exported(flat), await exported(deep));
    assert.equal(await inspect(flat, '{{json .Config}}'), await inspect(deep, '{{json .Config}}'));
  });

  test('the merged layer directories, streamed before any layer is indexed, give the image the squash of the index gives', async () => {
    for (const [name, image] of [['storage', storage], ['names', names]] as const) {
      const early = new RecordingProgress();
      const fromDirs = await flattenImage({ reference: image, output: { kind: 'engine', tag: tag(`${name}-early`) } }, capabilityContext({ progress: early }));
      assert.ok(early.steps.some((t) => /while the layers are indexed/.test(t)), `${name}: the early import ran`);
      const general = new RecordingProgress();
      const fromIndex = await flattenImage({ reference: image, source: 'export', output: { kind: 'engine', tag: tag(`${name}-indexed`) } }, capabilityContext({ progress: general }));
      assert.ok(!general.steps.some((t) => /while the layers are indexed/.test(t)), `${name}: the squash of the index ran`);
      assert.equal(fromDirs.output.id, fromIndex.output.id, `${name}: same image`);
      assert.equal(fromDirs.verification.verified, true);
    }
  });

  test('the same input gives the same image ID and the same archive bytes', async () => {
    const one = tag('det1');
    const two = tag('det2');
    assert.equal((await runCli(['flatten', '-t', one, storage])).code, 0);
    assert.equal((await runCli(['flatten', '-t', two, storage])).code, 0);
    assert.equal(await inspect(one, '{{.Id}}'), await inspect(two, '{{.Id}}'));
    const a = join(work, 'det-a.tar');
    const b = join(work, 'det-b.tar');
    assert.equal((await runCli(['flatten', '-o', a, storage])).code, 0);
    assert.equal((await runCli(['flatten', '-o', b, storage])).code, 0);
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.equal(sha(a), sha(b));
  });

  test('push to and pull from a local registry: same ID, same output', async () => {
    const registry = await new LocalRegistry().start();
    const remote = `${registry.address}/${repo.replace(/^.*\//, '')}:flat`;
    try {
      // a label of this run's own makes the flattened ID unique, so removing it touches no other run's images
      const source = tag('push-src');
      await buildImage(source, `FROM ${storage}\nLABEL run=${repo}`, {}, CLASSIC_BUILD);
      const flat = tag('to-push');
      assert.equal((await runCli(['flatten', '-t', flat, source])).code, 0);
      const id = await inspect(flat, '{{.Id}}');
      await docker(['tag', flat, remote]);
      await docker(['push', remote]);
      await docker(['rmi', remote]);
      await docker(['rmi', flat]);
      assert.equal(await exists(id), false, 'the local copy is gone before the pull');
      await docker(['pull', remote]);
      assert.equal(await inspect(remote, '{{.Id}}'), id);
      assert.equal(await run(remote), await run(source));
    } finally {
      await removeImages([remote]);
      registry.stop();
    }
  });

  test('bad input exits 4, an existing tag is refused with 5 and left alone', async () => {
    const missing = await runCli(['flatten', `${repo}:does-not-exist`]);
    assert.equal(missing.code, 4, missing.stderr);
    const broken = join(work, 'broken.tar');
    await docker(['save', '-o', broken, storage]);
    truncateSync(broken, 20_000);
    const bad = await runCli(['flatten', '-o', join(work, 'from-broken.tar'), broken]);
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(bad.stderr, /truncated|layer/);
    assert.equal(existsSync(join(work, 'from-broken.tar')), false);
    const taken = tag('taken');
    await docker(['tag', BUSYBOX_IMAGE, taken]);
    const refused = await runCli(['flatten', '-t', taken, storage]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.equal(await inspect(taken, '{{.Id}}'), await inspect(BUSYBOX_IMAGE, '{{.Id}}'));
    const forced = await runCli(['flatten', '--force', '-t', taken, storage]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await inspect(taken, '{{len .RootFS.Layers}}'), '1');
  });

  test('a squashed layer corrupted before verification reads it, or after (only the engine sees it), fails verification and leaves no tag', async () => {
    // One byte of /app/f1.bin's content (8192 bytes of 0x02) flipped; the tar stays well-formed, same size.
    const flip = (layer: AsyncIterable<Buffer>): AsyncIterable<Buffer> => (async function* () {
      const chunks: Buffer[] = [];
      for await (const c of layer) chunks.push(c);
      const all = Buffer.concat(chunks);
      const at = all.indexOf(appFiles['app/f1.bin']!);
      assert.ok(at > 0, 'the fixture file is in the squashed layer');
      all[at + 100] = 0x03;
      yield all;
    })();
    const cases: { faults: FlattenOptions['faults']; mode: 'all' | 'keep-base'; message: RegExp }[] = [
      { faults: { written: flip }, mode: 'all', message: /(1 path differs|paths differ).*app\/f1\.bin/ },
      { faults: { written: flip }, mode: 'keep-base', message: /(1 path differs|paths differ).*app\/f1\.bin/ },
      { faults: { sent: flip }, mode: 'all', message: /the engine recorded layers/ },
      { faults: { sent: flip }, mode: 'keep-base', message: /the engine recorded layers/ },
    ];
    const dangling = async () => (await docker(['images', '-q', '--no-trunc', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean).sort();
    const danglingBefore = await dangling();
    for (const c of cases) {
      const target = tag(`corrupt-${c.mode}-${c.faults?.written ? 'written' : 'sent'}`);
      await assert.rejects(flattenImage({ reference: storage, output: { kind: 'engine', tag: target }, mode: { kind: c.mode }, faults: c.faults }), (err: Error & { exitCode?: number }) => {
        assert.equal(err.name, 'VerificationError');
        assert.equal(err.exitCode, 7, 'verification failed has its own exit code');
        assert.match(err.message, c.message);
        return true;
      });
      assert.equal(await exists(target), false);
    }
    const leftovers = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', repo])).stdout.split('\n').filter((t) => t.includes('stowage-tmp'));
    assert.deepEqual(leftovers, []);
    assert.deepEqual(await dangling(), danglingBefore, 'no imported image left behind');
    // unverified, the same fault goes through: the check above is what catches it
    const unverified = tag('corrupt-unverified');
    await flattenImage({ reference: storage, output: { kind: 'engine', tag: unverified }, verify: false, faults: { written: flip } });
    assert.equal(await exists(unverified), true);
  });

  test('a full disk leaves no partial file; a load that breaks halfway leaves no tag', async () => {
    const big = tag('big');
    await buildImage(big, [`FROM ${BUSYBOX_IMAGE}`, 'RUN head -c 12000000 /dev/urandom > /big1', 'RUN head -c 12000000 /dev/urandom > /big2'].join('\n'), {}, CLASSIC_BUILD);
    const disk = new LoopDisk(16, 'ext4').create();
    try {
      const out = join(disk.mountPoint, 'flat.tar');
      const r = await runCli(['flatten', '-o', out, big]);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /no space left/);
      assert.deepEqual(readdirSync(disk.mountPoint).filter((n) => n !== 'lost+found'), []);
    } finally {
      disk.destroy();
    }
    // The content is read in place from an uncompressed archive; cutting the archive while the image is being
    // loaded makes the layer stream fail halfway through the upload.
    const archive = join(work, 'big.tar');
    await docker(['save', '-o', archive, big]);
    const target = tag('half');
    await assert.rejects(flattenImage({
      reference: archive,
      output: { kind: 'engine', tag: target },
    }, capabilityContext({
      progress: { ...silentProgress, update: (u) => { if (u.step.startsWith('writing')) truncateSync(archive, 6_000_000); } },
    })), (err: Error & { exitCode?: number }) => err.exitCode === 4);
    assert.equal(await exists(target), false);
    const leftovers = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', repo])).stdout.split('\n').filter((t) => t.includes('stowage-tmp'));
    assert.deepEqual(leftovers, []);
  });
});
