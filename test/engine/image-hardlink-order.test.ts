/**
 * Issue 11 item 1: a hardlink pair where one name is inside a directory that sorts before the other name
 * (`/opt/keep/k` and `/opt/keep-hardlink`). Read from overlay2's directories, the name a tar lists first must
 * carry the content. Oracle: `docker export` read by Python's tarfile; analyze and flatten must both work,
 * and the flattened image must export exactly what the original does.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage, ensureBusybox, removeImages, uniqueName, BUSYBOX_IMAGE } from '../support/docker-cli.js';
import { CLASSIC_BUILD, describeExport, describeUnion, differences, exportWithPython } from '../support/export-oracle.js';
import { runCli } from '../support/run-cli.js';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import { indexEngineImage } from '../../src/image/engine-source.js';
import { analyzeLayers } from '../../src/analyze/layer-analysis.js';

const DOCKERFILE = [
  `FROM ${BUSYBOX_IMAGE}`,
  // the case: "keep" sorts before "keep-hardlink", and keep/k is listed before keep-hardlink
  'RUN mkdir -p /opt/keep && echo x > /opt/keep/k && ln /opt/keep/k /opt/keep-hardlink',
  // '-' sorts before '/': by full path /opt/a-link comes first, in a tar's depth-first order /opt/a/k does
  'RUN mkdir -p /opt/a && echo y > /opt/a/k && ln /opt/a/k /opt/a-link',
  // the other way round: the outer name is listed before the directory, so it carries the content
  'RUN mkdir -p /opt/z/deeper && echo z > /opt/z/deeper/k && ln /opt/z/deeper/k /opt/b-link && ln /opt/b-link /opt/z/k2',
  // a later layer links an earlier file from inside a new directory that sorts first: overlayfs copies the
  // target up, so the merged /opt/keep/k is linked with /opt/0dir/k3 and no longer with /opt/keep-hardlink
  'RUN mkdir /opt/0dir && ln /opt/keep/k /opt/0dir/k3',
].join('\n');

describe('hardlinks across directories that sort before the other name', { timeout: 300_000 }, () => {
  const repo = uniqueName('stowage-test/hardlink-order');
  const image = `${repo}:src`;
  const flat = `${repo}:flat`;

  before(async () => {
    await ensureBusybox();
    await buildImage(image, DOCKERFILE, {}, CLASSIC_BUILD);
  });
  after(async () => {
    await removeImages([flat, image]);
  });

  test('the overlay2 read equals docker export, and analyze reads it', async () => {
    const expected = describeExport(await exportWithPython(image));
    assert.match(expected.get('opt/a-link') ?? '', /"opt\/a-link","opt\/a\/k"/, 'the export groups the pair');
    assert.match(expected.get('opt/b-link') ?? '', /"opt\/b-link","opt\/z\/deeper\/k","opt\/z\/k2"/);
    // the last layer's link copied /opt/keep/k up, which parts it from /opt/keep-hardlink (overlayfs without index)
    assert.match(expected.get('opt/keep/k') ?? '', /"opt\/0dir\/k3","opt\/keep\/k"/);
    const engine = await connectEngine();
    const direct = await indexEngineImage(engine, image, 'direct', undefined, 'all');
    assert.equal(direct.via, 'overlay2');
    assert.deepEqual(differences(expected, describeUnion(analyzeLayers(direct.image).tree.files())), []);
    const r = await runCli(['analyze', '--json', '-q', '--source', 'overlay2', image]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).result.image.source, 'overlay2');
  });

  test('flatten from overlay2 loads an image whose export equals the original\'s', async () => {
    const r = await runCli(['flatten', '--json', '-q', '--source', 'overlay2', '-t', flat, image]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).result.input.source, 'overlay2');
    assert.deepEqual(differences(describeExport(await exportWithPython(image)), describeExport(await exportWithPython(flat))), []);
  });
});
