/**
 * flatten shows its write phase as it goes (issue 20: it was silent there): bytes of the squashed layer sent,
 * with the total when it is known, as NDJSON progress events on stderr, ended by an `end` event.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, buildImage, docker, ensureBusybox, removeImages, uniqueName } from '../support/docker-cli.js';
import { runCli } from '../support/run-cli.js';

interface Event { type: string; step?: string; done?: number; total?: number; unit?: string }

function events(stderr: string): Event[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
}

describe('flatten progress', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-flatten-progress-'));
  const tags: string[] = [];

  before(async () => {
    await ensureBusybox();
  });

  after(async () => {
    await removeImages(tags);
    rmSync(dir, { recursive: true, force: true });
  });

  it('into a file: the squashed layer\'s bytes up to its total, then the end', async () => {
    const out = join(dir, 'flat.tar');
    const r = await runCli(['--progress', 'ndjson', 'flatten', '--tag', 'stowage-test/progress:flat', '-o', out, 'stowage-test/busybox:latest']);
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.stderr);
    const writes = ev.filter((e) => e.step === 'writing the squashed layer');
    assert.ok(writes.length > 0, r.stderr);
    const last = writes[writes.length - 1]!;
    assert.equal(last.unit, 'bytes');
    assert.ok(last.total! > 0 && last.done === last.total, JSON.stringify(last));
    for (let i = 1; i < writes.length; i++) assert.ok(writes[i]!.done! >= writes[i - 1]!.done!, 'bytes only grow');
    // the squashed layer is in the archive as an uncompressed tar of that size
    assert.ok(statSync(out).size > last.total!, 'the archive holds the layer');
    assert.equal(ev[ev.length - 1]!.type, 'end');
  });

  it('into the engine: the bytes imported, and the step names say what is done', async () => {
    const tag = `${uniqueName('stowage-test/progress')}:flat`;
    tags.push(tag);
    const r = await runCli(['--progress', 'ndjson', 'flatten', '--tag', tag, 'stowage-test/busybox:latest']);
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.stderr);
    const sent = ev.filter((e) => e.unit === 'bytes');
    assert.ok(sent.length > 0, r.stderr);
    const size = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', tag])).stdout.trim());
    // a tar of the files: at least their bytes (the image's size), plus headers
    assert.ok(sent[sent.length - 1]!.done! >= size, `${JSON.stringify(sent[sent.length - 1])} vs image size ${size}`);
    assert.equal(ev[ev.length - 1]!.type, 'end');
  });

  it('in a log (plain): one counted step for the layer directories, never an overlay2 path per layer', async () => {
    const deep = `${uniqueName('stowage-test/progress-deep')}:1`;
    tags.push(deep, `${deep}-flat`);
    const layers = 16;
    await buildImage(deep, [`FROM ${BUSYBOX_IMAGE}`, ...Array.from({ length: layers }, (_, i) => `RUN echo ${i} > /f${i}`)].join('\n'));
    const r = await runCli(['--progress', 'plain', 'flatten', deep]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /overlay2|\/diff\b/, r.stderr);
    assert.doesNotMatch(r.stderr, /reading layer \d/, r.stderr);
    // a step is printed once however many layers it counts
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.ok(lines.length < layers, r.stderr);
    assert.equal(lines.filter((l) => l === 'flatten: reading the layer directories').length, 1, r.stderr);
    const nd = await runCli(['--progress', 'ndjson', 'flatten', '--force', deep]);
    assert.equal(nd.code, 0, nd.stderr);
    const dirs = events(nd.stderr).filter((e) => e.step === 'reading the layer directories');
    const base = Number((await docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', deep])).stdout.trim());
    assert.deepEqual(dirs[dirs.length - 1], { ...dirs[dirs.length - 1], done: base, total: base, unit: 'items' });
  });
});
