/**
 * doctor against real engines: a fresh private daemon is healthy; then real clutter is made in it
 * (dangling images, build cache, an exited container, a 101-layer image) and doctor must name each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runDoctor } from '../../src/doctor/doctor.js';
import type { Finding } from '../../src/findings.js';
import { buildImage, docker, ensureBusybox, uniqueName } from '../support/docker-cli.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';

const ids = (findings: Finding[]) => findings.map((f) => f.id);

describe('doctor on a private engine', () => {
  const daemon = new PrivateDaemon();
  before(async () => {
    await daemon.start();
    await ensureBusybox(daemon.env);
  });
  after(() => daemon.destroy());

  it('finds no error on a fresh, healthy engine', async () => {
    const report = await runDoctor({ connect: { host: daemon.host }, windowMs: 200 });
    const errors = report.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errors, []);
    assert.equal(report.facts.engine.reachable, true);
    assert.equal(report.facts.dataRoot, daemon.dataRoot);
    assert.ok(report.facts.io?.syncWrite, 'the sync-write probe ran');
    assert.equal(report.facts.io.syncWrite.latenciesMs.length, 10);
    assert.ok(report.facts.disk?.device, 'the device under data-root resolved');
    assert.ok(!ids(report.findings).includes('space/dangling-images'));
    assert.ok(!ids(report.findings).includes('clutter/exited-containers'));
  });

  it('names dangling images and build cache', async () => {
    const tag = uniqueName('stowage-test/dangling');
    const first = await buildImage(tag, `FROM ${await ensureBusybox(daemon.env)}\nRUN echo one > /v\n`, {}, daemon.env);
    await buildImage(tag, `FROM ${await ensureBusybox(daemon.env)}\nRUN echo two > /v\n`, {}, daemon.env);
    const report = await runDoctor({ connect: { host: daemon.host }, only: ['space'] });
    const dangling = report.findings.find((f) => f.id === 'space/dangling-images');
    assert.ok(dangling, `dangling images named; got ${ids(report.findings)}`);
    assert.equal(dangling.severity, 'warn');
    assert.ok(report.facts.usage?.images.some((i) => i.id === first && i.dangling), 'the superseded build is the dangling one');
    const cache = report.findings.find((f) => f.id === 'space/build-cache');
    assert.ok(cache, 'build cache named');
    assert.ok((report.facts.usage?.totals.buildCache.count ?? 0) > 0);
    // the same totals `docker system df` prints, from the same engine answer
    const df = await docker(['system', 'df', '--format', '{{.Type}}\t{{.TotalCount}}'], { env: daemon.env });
    const imagesLine = df.stdout.split('\n').find((l) => l.startsWith('Images'));
    assert.equal(Number(imagesLine?.split('\t')[1]), report.facts.usage?.totals.images.count);
  });

  it('names an exited container', async () => {
    const name = uniqueName('stowage-exited');
    await docker(['run', '--name', name, '--network', 'none', await ensureBusybox(daemon.env), 'sh', '-c', 'echo data > /written'], { env: daemon.env });
    const report = await runDoctor({ connect: { host: daemon.host }, only: ['clutter'] });
    const f = report.findings.find((x) => x.id === 'clutter/exited-containers');
    assert.ok(f, `exited container named; got ${ids(report.findings)}`);
    assert.ok(f.evidence.some((e) => e.label === name), 'the container is listed by name');
  });

  it('warns about an image deeper than 100 layers', async () => {
    const tag = uniqueName('stowage-test/deep');
    const steps = Array.from({ length: 100 }, (_, i) => `COPY f${i} /f${i}`).join('\n');
    const files = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, `${i}\n`]));
    await buildImage(tag, `FROM ${await ensureBusybox(daemon.env)}\n${steps}\n`, files, daemon.env);
    const report = await runDoctor({ connect: { host: daemon.host }, only: ['images'] });
    const f = report.findings.find((x) => x.id === 'image/layer-depth' && x.subject.id === `${tag}:latest`);
    assert.ok(f, `deep image named; got ${JSON.stringify(report.findings.map((x) => [x.id, x.subject.id]))}`);
    assert.equal(f.severity, 'warn');
    assert.equal(f.evidence.find((e) => e.label === 'layers')?.value, 101);
  });

  it('names overlay2 directories that nothing references, and only those', async () => {
    // age every directory past the in-progress guard, so build cache and image layers are judged too
    const driverDir = join(daemon.dataRoot, 'overlay2');
    const old = new Date(Date.now() - 3 * 3600_000);
    for (const name of readdirSync(driverDir)) utimesSync(join(driverDir, name), old, old);
    const orphan = randomBytes(32).toString('hex');
    mkdirSync(join(driverDir, orphan, 'diff'), { recursive: true });
    writeFileSync(join(driverDir, orphan, 'diff', 'left-behind'), Buffer.alloc(64 * 1024, 1));
    utimesSync(join(driverDir, orphan), old, old);
    try {
      const report = await runDoctor({ connect: { host: daemon.host }, only: ['space'] });
      assert.deepEqual(report.facts.orphans?.directories, [orphan]);
      const f = report.findings.find((x) => x.id === 'space/orphaned-layers');
      assert.ok(f);
      assert.ok(Number(f.evidence.find((e) => e.label === 'size')?.value) >= 64 * 1024);
    } finally {
      rmSync(join(driverDir, orphan), { recursive: true, force: true });
    }
  });

  it('exits 1 with --fail-on warn when warnings exist, 0 with --fail-on error, and prints one JSON document', async () => {
    // its own warning, so the test does not lean on the ones above: a superseded build is dangling
    const tag = uniqueName('stowage-test/failon');
    await buildImage(tag, `FROM ${await ensureBusybox(daemon.env)}\nRUN echo a > /v\n`, {}, daemon.env);
    await buildImage(tag, `FROM ${await ensureBusybox(daemon.env)}\nRUN echo b > /v\n`, {}, daemon.env);
    const warnRun = await runCli(['--host', daemon.host, 'doctor', '--json', '--fail-on', 'warn', '--only', 'space,clutter,images']);
    assert.equal(warnRun.code, 1, warnRun.stderr);
    const doc = JSON.parse(warnRun.stdout);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.command, 'doctor');
    assert.ok(Array.isArray(doc.result.findings));
    assert.ok(doc.result.summary.warn > 0);
    const errorRun = await runCli(['--host', daemon.host, 'doctor', '--fail-on', 'error', '--only', 'space,clutter,images']);
    assert.equal(errorRun.code, 0, errorRun.stderr);
    assert.match(errorRun.stdout, /space\/dangling-images/);
  });
});
