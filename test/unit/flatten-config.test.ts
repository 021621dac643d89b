import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteConfig } from '../../src/flatten/config-rewrite.js';
import { pickBase, planFlatten } from '../../src/flatten/flatten-plan.js';
import { defaultTag } from '../../src/flatten/flatten-image.js';
import { splitTag } from '../../src/image/image-reference.js';
import { assembleImage, historyOf, mapHistory } from '../../src/image/image-index.js';

const CONFIG = {
  architecture: 'amd64',
  os: 'linux',
  created: '2024-05-01T10:00:00Z',
  config: {
    User: 'app', Env: ['PATH=/bin', 'A=1'], Cmd: ['run'], Entrypoint: ['/entry'], WorkingDir: '/app',
    ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, Labels: { a: 'b' },
    Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 }, StopSignal: 'SIGQUIT', OnBuild: ['RUN x'],
  },
  rootfs: { type: 'layers', diff_ids: ['sha256:l0', 'sha256:l1', 'sha256:l2'] },
  history: [
    { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs /' },
    { created: '2024-05-01T10:00:00Z', created_by: 'ENV A=1', empty_layer: true },
    { created: '2024-05-01T10:00:00Z', created_by: 'COPY . /app' },
    { created: '2024-05-01T10:00:00Z', created_by: 'RUN chown -R app /app' },
  ],
};

test('the config keeps every runtime field and gets consistent diff_ids and history', () => {
  const out = JSON.parse(rewriteConfig(CONFIG, ['sha256:l0', 'sha256:new'], { keep: 1, before: 3, mode: '--keep-base' }).toString('utf8'));
  assert.deepEqual(out.config, CONFIG.config);
  assert.equal(out.created, CONFIG.created);
  assert.deepEqual(out.rootfs, { type: 'layers', diff_ids: ['sha256:l0', 'sha256:new'] });
  assert.equal(out.history.length, 5, 'original history kept, one entry added');
  assert.deepEqual(out.history.slice(0, 4).map((h: { created_by: string }) => h.created_by), CONFIG.history.map((h) => h.created_by));
  assert.deepEqual(out.history.map((h: { empty_layer?: boolean }) => h.empty_layer === true), [false, true, true, true, false]);
  assert.equal(out.history[4].created, CONFIG.created, 'the flatten entry has the image\'s time, not the clock\'s');
  assert.match(out.history[4].created_by, /^stowage flatten --keep-base$/);
  // history maps back onto the layers one to one
  const entries = historyOf(out);
  const mapped = mapHistory(entries, 2);
  assert.deepEqual(mapped.map((h) => h?.createdBy), ['ADD rootfs /', 'stowage flatten --keep-base']);
  assert.equal(entries.filter((h) => !h.emptyLayer).length, out.rootfs.diff_ids.length);
});

test('the same input gives the same config bytes', () => {
  const a = rewriteConfig(CONFIG, ['sha256:new'], { keep: 0, before: 3, mode: '(all layers)' });
  const b = rewriteConfig(JSON.parse(JSON.stringify(CONFIG)), ['sha256:new'], { keep: 0, before: 3, mode: '(all layers)' });
  assert.ok(a.equals(b));
  assert.deepEqual(Object.keys(JSON.parse(a.toString())), Object.keys(CONFIG), 'key order kept');
});

test('history shorter than the kept layers is padded so entries and layers agree', () => {
  const out = JSON.parse(rewriteConfig({ rootfs: { diff_ids: ['a', 'b', 'c'] } }, ['a', 'b', 'new'], { keep: 2, before: 3, mode: '--from-layer 2' }).toString());
  assert.equal(out.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer).length, 3);
});

const image = (diffIds: string[], createdBy: string[]) => assembleImage({ kind: 'overlay2', reference: 'app:1' }, 'sha256:app', ['app:1'],
  { history: createdBy.map((c) => ({ created_by: c })) },
  diffIds.map((d) => ({ diffId: d, tarBytes: 0, compression: 'none' as const, storedBytes: 0, storedDigest: d, entries: [] })));

test('the base is the candidate with the most shared first layers and a matching history', () => {
  const img = image(['d0', 'd1', 'd2', 'd3'], ['base0', 'base1', 'copy', 'run']);
  const base = pickBase({ diffIds: ['d0', 'd1', 'd2', 'd3'], history: img.history }, [
    { name: 'tiny', diffIds: ['d0'], createdBy: ['base0'] },
    { name: 'real', diffIds: ['d0', 'd1'], createdBy: ['base0', 'base1'] },
    { name: 'other-history', diffIds: ['d0', 'd1', 'd2'], createdBy: ['x', 'y', 'z'] },
    { name: 'itself', diffIds: ['d0', 'd1', 'd2', 'd3'] },
    { name: 'unrelated', diffIds: ['e0'] },
  ]);
  assert.equal(base?.name, 'real');
});

test('plans: all, from-layer bounds, keep-base with --base and without a base found', async () => {
  const img = image(['d0', 'd1', 'd2'], ['a', 'b', 'c']);
  assert.equal((await planFlatten(img, { kind: 'all' })).keep, 0);
  assert.equal((await planFlatten(img, { kind: 'from-layer', layer: 2 })).keep, 2);
  await assert.rejects(planFlatten(img, { kind: 'from-layer', layer: 3 }), { name: 'UsageError' });
  const withBase = await planFlatten(img, { kind: 'keep-base', base: 'b:1' }, { baseByName: async (name) => ({ name, diffIds: ['d0'] }) });
  assert.deepEqual([withBase.keep, withBase.base], [1, 'b:1']);
  await assert.rejects(planFlatten(img, { kind: 'keep-base', base: 'x' }, { baseByName: async (name) => ({ name, diffIds: ['zz'] }) }), { name: 'BadInputError' });
  await assert.rejects(planFlatten(img, { kind: 'keep-base' }, { candidates: async () => [] }), { name: 'BadInputError' });
});

test('tags: split at the tag colon, default adds -flat', () => {
  assert.deepEqual(splitTag('127.0.0.1:5000/app'), { repo: '127.0.0.1:5000/app', tag: 'latest' });
  assert.deepEqual(splitTag('127.0.0.1:5000/app:v1'), { repo: '127.0.0.1:5000/app', tag: 'v1' });
  assert.equal(defaultTag(image(['d0'], ['a']), 'app:1'), 'app:1-flat');
});
