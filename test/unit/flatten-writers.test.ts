/**
 * flatten on archives, without an engine: docker-archive and OCI inputs and outputs, read back by the image
 * model, the same bytes twice, refusal to overwrite, and no partial file when writing fails.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { flattenImage } from '../../src/flatten/flatten-image.js';
import { canonicalUnion } from '../../src/flatten/union-compare.js';
import { indexArchiveFile } from '../../src/image/archive-source.js';
import { indexOciLayout } from '../../src/image/oci-layout.js';
import { writeFileAtomically } from '../../src/image/image-writer.js';
import { UnionTree } from '../../src/image/union-tree.js';
import type { ImageIndex } from '../../src/image/image-index.js';
import { dockerArchive, layerTar, ociFiles, writeDir, type FakeImage } from '../support/image-archives.js';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stowage-flatten-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const FAKE: FakeImage = {
  layers: [
    layerTar([
      { entry: { path: 'etc', type: 'dir' } },
      { entry: { path: 'etc/passwd', type: 'file' }, content: 'root:x:0:0::/:/bin/sh\n' },
      { entry: { path: 'opt', type: 'dir' } },
      { entry: { path: 'opt/ping', type: 'file', xattrs: { 'security.capability': cap } }, content: 'ping' },
      { entry: { path: 'data', type: 'dir' } },
      { entry: { path: 'data/old', type: 'file' }, content: 'old'.repeat(1000) },
    ]),
    layerTar([
      { entry: { path: 'app', type: 'dir' } },
      { entry: { path: 'app/big', type: 'file' }, content: Buffer.alloc(300_000, 7) },
      { entry: { path: 'app/link', type: 'hardlink', linkTarget: 'app/big' } },
      { entry: { path: 'app/sym', type: 'symlink', linkTarget: 'big' } },
    ]),
    layerTar([
      { entry: { path: 'app', type: 'dir', uid: 1000 } },
      { entry: { path: 'app/big', type: 'file', uid: 1000 }, content: Buffer.alloc(300_000, 7) },
      { entry: { path: 'app/link', type: 'hardlink', linkTarget: 'app/big', uid: 1000 } },
      { entry: { path: 'data', type: 'dir' } },
      { entry: { path: 'data/.wh.old', type: 'file' } },
    ]),
  ],
};

function unionOf(image: ImageIndex): Map<string, string> {
  const tree = new UnionTree();
  image.layers.forEach((l, i) => l.entries.forEach((e) => tree.apply(i, e)));
  return canonicalUnion(tree);
}

test('docker-archive in, docker-archive out: fewer layers, same filesystem, config kept, same bytes twice', async () => {
  const input = join(dir, 'in.tar');
  writeFileSync(input, dockerArchive(FAKE));
  const a = await flattenImage({ reference: input, output: { kind: 'docker-archive', path: join(dir, 'a.tar'), tag: 'fake/image:flat' } });
  const b = await flattenImage({ reference: input, output: { kind: 'docker-archive', path: join(dir, 'b.tar'), tag: 'fake/image:flat' } });
  assert.equal(a.output.layers, 1);
  assert.equal(a.verification.verified, true);
  assert.equal(a.input.wastedBytes, 303_000);
  assert.equal(a.output.wastedBytes, 0);
  assert.equal(a.wastedBytesRemoved, 303_000);
  assert.equal(a.squashedLayer.hardlinks, 1);
  assert.ok(readFileSync(join(dir, 'a.tar')).equals(readFileSync(join(dir, 'b.tar'))), 'same input, same bytes');
  assert.equal(a.output.id, b.output.id);
  const inImage = await indexArchiveFile(input);
  const outImage = await indexArchiveFile(join(dir, 'a.tar'));
  assert.deepEqual(unionOf(outImage), unionOf(inImage));
  assert.deepEqual(outImage.repoTags, ['fake/image:flat']);
  assert.deepEqual((outImage.config as { config: unknown }).config, (inImage.config as { config: unknown }).config);
  assert.equal(outImage.layers[0]!.entries.find((e) => e.path === 'opt/ping')!.xattrs!['security.capability']!.toString('hex'), cap.toString('hex'));
});

test('OCI layout in (gzip), keep layers below 1, OCI layout out: kept blob copied as stored, new layer gzip', async () => {
  const layout = join(dir, 'oci-in');
  writeDir(layout, ociFiles([{ image: FAKE, platform: { os: 'linux', architecture: 'amd64' } }], (b) => gzipSync(b)));
  const out = join(dir, 'oci-out');
  const r = await flattenImage({ reference: layout, mode: { kind: 'from-layer', layer: 1 }, output: { kind: 'oci', dir: out } });
  assert.deepEqual([r.input.layers, r.output.layers, r.plan.keep], [3, 2, 1]);
  const inImage = await indexOciLayout(layout);
  const outImage = await indexOciLayout(out);
  assert.equal(outImage.layers[0]!.storedDigest, inImage.layers[0]!.storedDigest, 'kept layer blob unchanged');
  assert.equal(outImage.layers[1]!.compression, 'gzip');
  assert.deepEqual(unionOf(outImage), unionOf(inImage));
  const again = await flattenImage({ reference: layout, mode: { kind: 'from-layer', layer: 1 }, output: { kind: 'oci', dir: join(dir, 'oci-again') } });
  assert.equal(again.output.manifestDigest, r.output.manifestDigest, 'same manifest digest twice');
  assert.ok(!readdirSync(dir).some((n) => n.includes('.stowage-')), 'no temporary left');
  // the same image read from another kind of source flattens to the same image ID
  const fromArchive = join(dir, 'same.tar');
  writeFileSync(fromArchive, dockerArchive(FAKE));
  const viaArchive = await flattenImage({ reference: fromArchive, output: { kind: 'docker-archive', path: join(dir, 'same-a.tar') } });
  const viaOci = await flattenImage({ reference: layout, output: { kind: 'docker-archive', path: join(dir, 'same-b.tar') } });
  assert.equal(viaOci.output.id, viaArchive.output.id);
});

test('an existing output is refused (exit 5) unless --force; --force replaces it', async () => {
  const input = join(dir, 'in2.tar');
  writeFileSync(input, dockerArchive(FAKE));
  const target = join(dir, 'exists.tar');
  writeFileSync(target, 'precious');
  await assert.rejects(flattenImage({ reference: input, output: { kind: 'docker-archive', path: target } }), (err: Error & { exitCode?: number }) => err.name === 'RefusedError' && err.exitCode === 5);
  assert.equal(readFileSync(target, 'utf8'), 'precious');
  await flattenImage({ reference: input, output: { kind: 'docker-archive', path: target }, force: true });
  assert.ok(statSync(target).size > 300_000);
});

test('a broken input is bad input (exit 4) and leaves no output', async () => {
  const good = dockerArchive(FAKE);
  const truncated = join(dir, 'truncated.tar');
  writeFileSync(truncated, good.subarray(0, Math.floor(good.length / 2)));
  const target = join(dir, 'never.tar');
  await assert.rejects(flattenImage({ reference: truncated, output: { kind: 'docker-archive', path: target } }), (err: Error & { exitCode?: number }) => err.exitCode === 4);
  assert.equal(existsSync(target), false);
});

test('a write that fails halfway leaves neither the file nor its temporary', async () => {
  const target = join(dir, 'half.tar');
  async function* failing() {
    yield Buffer.alloc(1000);
    throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
  }
  await assert.rejects(writeFileAtomically(target, failing(), { force: false }), (err: Error & { exitCode?: number }) => err.name === 'HostError' && err.exitCode === 6);
  assert.equal(existsSync(target), false);
  assert.ok(!readdirSync(dir).some((n) => n.startsWith('.half.tar')));
});

test('the CLI: an archive flattened to a file with --json, usage errors exit 2', async () => {
  const input = join(dir, 'cli-in.tar');
  writeFileSync(input, dockerArchive(FAKE));
  const out = join(dir, 'cli-out.tar');
  const r = await runCli(['flatten', '--json', '-o', out, '-t', 'fake/image:cli', input]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.command, 'flatten');
  assert.deepEqual([doc.result.input.layers, doc.result.output.layers, doc.result.verification.verified], [3, 1, true]);
  assert.match(r.stderr, /flatten: verifying/);
  const text = await runCli(['flatten', '--no-verify', '--force', '-o', out, input]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /3 +-> +1/);
  assert.match(text.stdout, /not verified/);
  for (const args of [['--keep-base', '--from-layer', '1'], ['-o', 'a.tar', '--oci', 'dir'], ['--base', 'x'], ['--from-layer', '-1'], ['-t', 'Bad Name']]) {
    const bad = await runCli(['flatten', ...args, input]);
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
  }
  const range = await runCli(['flatten', '--from-layer', '3', '-o', join(dir, 'never2.tar'), input]);
  assert.equal(range.code, 2, range.stderr);
});
