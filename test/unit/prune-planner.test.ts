/**
 * prune's planning on a recorded-shape inventory (no engine): which objects go, which stay and why, and the
 * bytes an image frees when layers are shared with kept images or only with other removed ones. The same
 * rules are checked against a real engine in test/engine/prune-private-engine.test.ts.
 */
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainIds } from '../../src/image/chain-ids.js';
import { freedBytes, layerSizes } from '../../src/prune/image-layers.js';
import type { InventoryContainer, InventoryImage, PruneInventory } from '../../src/prune/inventory.js';
import { lastUsedMs, planPrune } from '../../src/prune/prune-planner.js';
import { globMatches, parseLabelRule, type PruneOptions } from '../../src/prune/prune-options.js';
import { renderPruneText } from '../../src/render/prune-text.js';
import { makeStyle } from '../../src/render/style.js';

const cid = (name: string) => createHash('sha256').update(name).digest('hex');
const NOW = Date.parse('2026-12-02T08:00:00Z');
const DAY = 86_400_000;
const sec = (ms: number) => Math.floor(ms / 1000);
const hex = (c: string) => `sha256:${c.repeat(64)}`;
const L = { base: hex('0'), a: hex('1'), b: hex('2'), d: hex('3'), g: hex('4') };
const SIZES: Record<string, number> = { [L.base]: 1000, [L.a]: 100, [L.b]: 200, [L.d]: 50, [L.g]: 70 };

function image(id: string, tags: string[], diffs: string[], createdDaysAgo: number, extra: Partial<InventoryImage> = {}): InventoryImage {
  const chain = chainIds(diffs);
  return {
    id: hex(id), repoTags: tags, dangling: tags.length === 0, created: sec(NOW - createdDaysAgo * DAY), labels: {},
    size: diffs.reduce((n, d) => n + SIZES[d]!, 0), sharedSize: -1, layers: { chain, sizes: diffs.map((d) => SIZES[d]!) }, ...extra,
  };
}

function container(name: string, imageId: string, state: string, extra: Partial<InventoryContainer> = {}): InventoryContainer {
  return {
    id: createHash('sha256').update(name).digest('hex'), name, imageId: hex(imageId), image: imageId, state, active: state === 'running',
    created: sec(NOW - 3 * DAY), labels: {}, volumes: [], networks: [], sizeRw: 10, ...extra,
  };
}

function inventory(): PruneInventory {
  return {
    takenAt: NOW, apiVersion: '1.41',
    containers: [
      container('web', 'a', 'running', { volumes: ['anon2'.padEnd(64, 'f')], networks: ['net2'] }),
      container('old', 'b', 'exited', { volumes: ['anon1'.padEnd(64, 'e')], networks: ['net1'], sizeRw: 4000 }),
      container('keepme', 'c', 'exited', { labels: { keep: 'yes' } }),
    ],
    images: [
      image('a', ['app:1'], [L.base, L.a], 9),
      image('b', ['app:2'], [L.base, L.b], 5),
      image('c', [], [L.base, L.g], 4),
      image('d', [], [L.base, L.d], 3),
      image('e', ['other:1'], [L.g], 20, { labels: { keep: 'true' } }),
      image('f', ['app:3'], [L.base, L.a, L.g], 1),
    ],
    volumes: [
      { name: 'anon1'.padEnd(64, 'e'), anonymous: true, labels: {}, size: 300 },
      { name: 'anon2'.padEnd(64, 'f'), anonymous: true, labels: {}, size: 5 },
      { name: 'pgdata', anonymous: false, labels: {}, size: 9000 },
    ],
    networks: [
      { id: 'n0', name: 'bridge', predefined: true, scope: 'local', labels: {} },
      { id: 'n1', name: 'net1', predefined: false, scope: 'local', labels: {} },
      { id: 'n2', name: 'net2', predefined: false, scope: 'local', labels: {} },
    ],
    buildCache: [
      { id: 'r1aaaaaaaaaaaaaaaaaaaaaaa', type: 'regular', description: 'old step', inUse: false, shared: false, size: 700, createdAt: new Date(NOW - 10 * DAY).toISOString(), lastUsedAt: new Date(NOW - 9 * DAY).toISOString(), usageCount: 1, parents: [] },
      { id: 'r3ccccccccccccccccccccccc', type: 'regular', description: 'old parent', inUse: false, shared: false, size: 30, createdAt: new Date(NOW - 10 * DAY).toISOString(), lastUsedAt: new Date(NOW - 9 * DAY).toISOString(), usageCount: 1, parents: [] },
      { id: 'r2bbbbbbbbbbbbbbbbbbbbbbb', type: 'regular', description: 'recent step', inUse: false, shared: false, size: 60, createdAt: new Date(NOW - 2 * 3_600_000).toISOString(), lastUsedAt: new Date(NOW - 3_600_000).toISOString(), usageCount: 1, parents: ['r3ccccccccccccccccccccccc'] },
      { id: 'r4ddddddddddddddddddddddd', type: 'exec.cachemount', description: 'busy', inUse: true, shared: false, size: 9, createdAt: new Date(NOW - 10 * DAY).toISOString(), lastUsedAt: undefined, usageCount: 1, parents: [] },
    ],
    usage: { layersSize: 0, images: [], containers: [], volumes: [], buildCache: [], totals: {} as never },
  };
}

const plan = (options: PruneOptions = {}) => planPrune(inventory(), options).plan;
const targets = (p: ReturnType<typeof plan>, group: string) => p.actions.filter((a) => a.group === group).map((a) => a.target);
const kept = (p: ReturnType<typeof plan>, group: string) => Object.fromEntries(p.refusals.filter((r) => r.group === group).map((r) => [r.target, `${r.reason}: ${r.detail}`]));

test('by default: stopped containers, dangling images and build cache unused for 24 h; running and labelled things stay', () => {
  const p = plan({ protect: { labels: [{ key: 'keep' }] } });
  assert.deepEqual(targets(p, 'containers'), [cid('old')]);
  assert.deepEqual(kept(p, 'containers'), { web: 'in-use: running', keepme: 'protected: label keep' });
  assert.deepEqual(targets(p, 'dangling-images'), [hex('d')]);
  assert.match(kept(p, 'dangling-images')[hex('c').slice(7, 19)]!, /^in-use: used by container keepme \(exited\)$/);
  // d's base layer is held by kept images: only its own 50 B go
  assert.equal(p.actions.find((a) => a.target === hex('d'))!.bytes, 50);
  assert.match(p.actions.find((a) => a.target === hex('d'))!.reason, /1\.00 kB in layers kept images use is not counted/);
  assert.deepEqual(targets(p, 'build-cache'), ['r1aaaaaaaaaaaaaaaaaaaaaaa']);
  assert.deepEqual(kept(p, 'build-cache'), {
    'r2bbbbbbbbbbbbbbbbbbbbbbb': 'protected: regular recent step: last used 60 min ago, within --build-cache-until 24h',
    'r3ccccccccccccccccccccccc': 'protected: regular old parent: a kept record (r2bbbbbbbbbb) is built on it',
    'r4ddddddddddddddddddddddd': 'in-use: exec.cachemount busy: in use by a build',
  });
  assert.deepEqual([...new Set(p.actions.map((a) => a.group))], ['containers', 'dangling-images', 'build-cache'], 'phase order');
  assert.equal(targets(p, 'unused-images').length + targets(p, 'volumes').length + targets(p, 'networks').length, 0, 'off by default');
  assert.equal(p.totals.bytes, 4000 + 50 + 700);
});

test('--images unused plans on the end state: the image of a container that goes is free, recent tags and globs stay', () => {
  const p = plan({ images: 'unused', protect: { labels: [{ key: 'keep', value: 'true' }], keepRecent: 1 } });
  assert.deepEqual(targets(p, 'unused-images'), [hex('b')]);
  const b = p.actions.find((a) => a.target === hex('b'))!;
  assert.match(b.reason, /^app:2: no container uses it, created 5 days ago; its container old goes in phase containers/);
  assert.equal(b.bytes, 200, 'the base layer stays with app:1 and app:3');
  const k = kept(p, 'unused-images');
  assert.equal(k[`app:1 (${'a'.repeat(12)})`], 'in-use: used by container web (running)');
  assert.equal(k[`app:3 (${'f'.repeat(12)})`], 'protected: app:3 is among the 1 newest tags of app (--keep-recent)');
  assert.equal(k[`other:1 (${'e'.repeat(12)})`], 'protected: label keep=true');
  // keepme's label is keep=yes, not keep=true: it goes, and its image c becomes dangling and free
  assert.ok(targets(p, 'containers').includes(cid('keepme')));
  assert.deepEqual(targets(p, 'dangling-images'), [hex('c'), hex('d')]);
  const globbed = plan({ images: 'unused', protect: { images: ['app:*'] } });
  assert.deepEqual(targets(globbed, 'unused-images'), [hex('e')], 'app:* keeps every app tag; other:1, unprotected now, goes');
  assert.equal(kept(globbed, 'unused-images')[`app:2 (${'b'.repeat(12)})`], 'protected: matches --keep-image app:*');
});

test('layers shared only among removed images are freed once, credited to the first', () => {
  const inv = inventory();
  inv.containers = [];
  const p = planPrune(inv, { images: 'unused' }).plan;
  // distinct chains: base, base+a, base+b, base+g (c), base+d, g alone (e), base+a+g (f)
  const total = 1000 + 100 + 200 + 70 + 50 + 70 + 70;
  const imageBytes = p.actions.filter((a) => a.kind === 'remove-image').reduce((n, a) => n + a.bytes, 0);
  assert.equal(imageBytes, total, 'every layer once: nothing is kept');
  const e = freedBytes([{ id: 'x', size: 1200, sharedSize: 1000, layers: undefined }], []);
  assert.deepEqual(e, [{ id: 'x', bytes: 200, sharedWithKept: 1000, method: 'engine' }], 'no layer sizes: the engine\'s unique size, a lower bound');
});

test('volumes and networks: only with their flags; named volumes only with --volumes all; what a kept container uses stays', () => {
  const anon = plan({ volumes: 'anonymous', networks: true });
  assert.deepEqual(targets(anon, 'volumes'), ['anon1'.padEnd(64, 'e')]);
  assert.match(anon.actions.find((a) => a.group === 'volumes')!.reason, /anonymous, no container mounts it; old goes in phase containers/);
  assert.deepEqual(kept(anon, 'volumes'), {
    ['anon2'.padEnd(64, 'f')]: 'in-use: mounted by container web (running)',
    pgdata: 'protected: named volume (--volumes all removes named volumes)',
  });
  assert.deepEqual(targets(anon, 'networks'), ['n1']);
  assert.deepEqual(kept(anon, 'networks'), { net2: 'in-use: attached to container web (running)' });
  const all = plan({ volumes: 'all', protect: { volumes: ['pg*'] } });
  assert.equal(kept(all, 'volumes').pgdata, 'protected: kept by name (pg*)');
  assert.deepEqual(targets(plan({ volumes: 'all' }), 'volumes'), ['anon1'.padEnd(64, 'e'), 'pgdata']);
});

test('--keep-since keeps what was created (or last used by a container) recently; --skip leaves a phase out', () => {
  const p = plan({ images: 'unused', protect: { keepSinceMs: 4 * DAY } });
  assert.deepEqual(kept(p, 'containers').old, 'protected: created 3 days ago, younger than --keep-since 96h');
  // b's container is kept now, so b is in use; d (3 days) is recent
  assert.match(kept(p, 'dangling-images')[hex('d').slice(7, 19)]!, /^protected: created 3 days ago, younger than --keep-since 96h$/);
  const skipped = planPrune(inventory(), { skip: ['containers', 'build-cache'] });
  assert.deepEqual(skipped.phases.filter((ph) => !ph.enabled).map((ph) => `${ph.name}: ${ph.off}`), [
    'containers: skipped with --skip', 'build-cache: skipped with --skip', 'unused-images: off: --images unused turns it on',
    'volumes: off: --volumes anonymous|all turns it on', 'networks: off: --networks turns it on',
  ]);
  assert.equal(targets(skipped.plan, 'containers').length, 0);
  assert.match(kept(skipped.plan, 'dangling-images')[hex('d').slice(7, 19)] ?? '', /^$/, 'd still goes');
  assert.deepEqual(targets(skipped.plan, 'dangling-images'), [hex('d')], 'c stays: its stopped container stays');
});

test('the text shows each phase with what goes and what stays, and says nothing was removed', () => {
  const planning = planPrune(inventory(), { protect: { labels: [{ key: 'keep' }] } });
  const text = renderPruneText({
    schemaVersion: 1, apiVersion: '1.41', phases: planning.phases, protections: { labels: [], images: [], volumes: [] },
    buildCacheUntilMs: planning.buildCacheUntilMs, imageBytes: planning.imageBytes, imageBytesHeldByCache: planning.imageBytesHeldByCache, plan: planning.plan, planMs: 1,
  }, makeStyle(false));
  assert.match(text, /^prune: plan \(nothing changed yet\): 3 objects to remove, 4\.75 kB to free$/m);
  assert.match(text, /^stopped containers: 1 to remove \(4\.00 kB\), 2 kept$/m);
  assert.match(text, new RegExp(`^ {2}remove +${cid('old').slice(0, 12)} +4\\.00 kB +old: exited, created 3 days ago$`, 'm'));
  assert.match(text, /^ {2}keep \(in-use\) +web +10 B +running$/m);
  assert.match(text, /^unused volumes: off: --volumes anonymous\|all turns it on$/m);
  assert.match(text, /Nothing was removed: run again with --apply/);
});

test('image bytes that kept build cache shares are flagged: they stay on disk until that cache goes', () => {
  const inv = inventory();
  inv.buildCache.push({ id: 'r5eeeeeeeeeeeeeeeeeeeeeee', type: 'regular', description: 'fileop target', inUse: false, shared: true, size: 40,
    createdAt: new Date(NOW - 3_600_000).toISOString(), lastUsedAt: new Date(NOW - 3_600_000).toISOString(), usageCount: 1, parents: [] });
  const kept = planPrune(inv, {});
  assert.equal(kept.imageBytesHeldByCache, 40, 'the recent shared record stays, holding up to its 40 B');
  assert.match(kept.plan.refusals.find((r) => r.target === 'r5eeeeeeeeeeeeeeeeeeeeeee')!.detail, /\(shares 40 B with an image layer\)$/);
  assert.equal(planPrune(inv, { buildCacheUntilMs: 0 }).imageBytesHeldByCache, 0, 'with the cache going too, nothing is held');
  assert.equal(planPrune(inv, { images: 'none' }).imageBytesHeldByCache, 0, 'no image planned, nothing held');
});

test('--until-free removes images least recently used first, only until the data-root reaches the target', () => {
  const inv = inventory();
  inv.space = { path: '/var/lib/docker', totalBytes: 10_000, freeBytes: 1900 };
  // 2000 B must be free: nothing else is planned, so images go oldest use first (e 70 B, d 50 B) until 100 B more are free
  const p = planPrune(inv, { images: 'unused', skip: ['containers', 'build-cache'], untilFree: 0.2 });
  assert.deepEqual(p.spaceTarget, { flag: '--until-free 20%', path: '/var/lib/docker', totalBytes: 10_000, freeBytes: 1900, needBytes: 100 });
  assert.deepEqual(p.plan.actions.map((a) => [a.target, a.bytes]), [[hex('d'), 50], [hex('e'), 70]]);
  assert.match(p.plan.actions[1]!.reason, /least recently used \(created 20 days ago\) first for --until-free 20%/);
  assert.equal(kept(p.plan, 'unused-images')[`app:3 (${'f'.repeat(12)})`], 'protected: --until-free 20% is reached without it (created 24 h ago)');
  // what the phases before free counts: the stopped containers' 4000 B reach it alone
  const enough = planPrune(inv, { images: 'unused', untilUsed: 0.8 });
  assert.equal(enough.plan.actions.filter((a) => a.kind === 'remove-image').length, 0);
  assert.equal(enough.spaceTarget!.flag, '--until-used 80%');
  inv.space.freeBytes = 5000;
  assert.equal(planPrune(inv, { images: 'unused', untilFree: 0.2 }).spaceTarget!.needBytes, 0, 'already there');
});

test('layer sizes come from the history only when they match the layers for sure', () => {
  assert.deepEqual(layerSizes(2, [30, 0, 70], 100), [70, 30], 'rows with bytes, newest first, are the layers');
  assert.deepEqual(layerSizes(3, [30, 0, 70], 100), [70, 0, 30]);
  assert.equal(layerSizes(3, [30, 70], 100), undefined, 'fewer rows than layers: unknown');
  assert.equal(layerSizes(2, [30, 71], 100), undefined, 'sizes that do not add up: unknown');
  assert.deepEqual(chainIds([L.base]), [L.base]);
  assert.notEqual(chainIds([L.base, L.a])[1], L.a);
  assert.ok(globMatches('app', 'app:1') && globMatches('app:*', 'app:prod') && !globMatches('app:*', 'app2:1') && globMatches('reg.example:5000/*', 'reg.example:5000/x/y:1'));
  assert.deepEqual(parseLabelRule('keep=true'), { key: 'keep', value: 'true' });
  assert.equal(parseLabelRule('=x'), undefined);
});

test('--keep-storage: of the records past --build-cache-until, the least recently used go only until the cache fits', () => {
  // the cache is 799 B (r4, in use, stays whatever the budget); r1 and r3 were last used 9 days ago, r2 an hour ago
  const within = plan({ buildCacheUntilMs: 0, buildCacheKeepBytes: 100 });
  assert.deepEqual(targets(within, 'build-cache'), ['r1aaaaaaaaaaaaaaaaaaaaaaa']);
  assert.equal(kept(within, 'build-cache')['r3ccccccccccccccccccccccc'], 'protected: regular old parent: the cache fits --keep-storage 100 B (99 B) once less recently used records go');
  assert.equal(kept(within, 'build-cache')['r2bbbbbbbbbbbbbbbbbbbbbbb'], 'protected: regular recent step: the cache fits --keep-storage 100 B (99 B) once less recently used records go');
  // a smaller budget takes the recent record too; it goes before the parent it is built on
  const tight = plan({ buildCacheUntilMs: 0, buildCacheKeepBytes: 50 });
  assert.deepEqual(targets(tight, 'build-cache'), ['r2bbbbbbbbbbbbbbbbbbbbbbb', 'r1aaaaaaaaaaaaaaaaaaaaaaa', 'r3ccccccccccccccccccccccc']);
  // the budget never overrides --build-cache-until: with the default 24 h, r2 stays, and so does its parent
  const both = plan({ buildCacheKeepBytes: 50 });
  assert.deepEqual(targets(both, 'build-cache'), ['r1aaaaaaaaaaaaaaaaaaaaaaa']);
  // a budget the cache already fits removes nothing
  assert.deepEqual(targets(plan({ buildCacheUntilMs: 0, buildCacheKeepBytes: 799 }), 'build-cache'), []);
});

test('a stopped container stamped started after it finished (a command that exits at once) was last used at its stop', () => {
  const img = image('a', ['quick:1'], [L.base], 10);
  const stop = NOW - 60_000;
  // as dockerd 20.10 recorded `docker start -a` of `true`: StartedAt 4 ms after FinishedAt
  const quick = container('quick', 'a', 'exited', { startedAt: stop + 4, finishedAt: stop });
  assert.deepEqual(lastUsedMs(img, [quick]), { ms: stop, what: 'container quick stopped' });
  // or in the same millisecond (seen in CI: started and stopped both at ...961)
  assert.deepEqual(lastUsedMs(img, [container('same', 'a', 'exited', { startedAt: stop, finishedAt: stop })]), { ms: stop, what: 'container same stopped' });
  // a running container's start stays its last use, and so does a normal start before a stop
  assert.deepEqual(lastUsedMs(img, [container('up', 'a', 'running', { startedAt: stop + 4 })]), { ms: stop + 4, what: 'container up started' });
  assert.deepEqual(lastUsedMs(img, [container('ran', 'a', 'exited', { startedAt: stop - 5000, finishedAt: stop })]), { ms: stop, what: 'container ran stopped' });
});
