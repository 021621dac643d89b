/**
 * stowage prune's resume journal and build-cache budget on a private engine, Docker as the judge:
 * - an apply stopped halfway, run again with the same `--journal`, resumes the saved plan: what the first run
 *   removed is counted once (done-earlier), the rest goes, and `docker system df` lost what the two runs report;
 * - images' last use, which orders `--until-free`, comes from containers' last start and stop and from the
 *   engine's events (a `docker run --rm` leaves only an event), checked against `docker inspect` and `docker events`;
 * - `--keep-storage` removes the least recently used records (by the engine's own LastUsedAt) only until the
 *   build cache `docker system df` reports fits the budget.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilityContext } from '../../src/context.js';
import type { Progress } from '../../src/progress.js';
import { connectEngine } from '../../src/engine/dockerode-engine.js';
import { readInventory } from '../../src/prune/inventory.js';
import { applyPrunePlan, planPruneOnEngine, type PruneResult } from '../../src/prune/prune.js';
import { lastUsedMs, planPrune } from '../../src/prune/prune-planner.js';
import { savedPlanPath } from '../../src/prune/prune-journal.js';
import type { PruneOptions } from '../../src/prune/prune-options.js';
import { buildImage, docker, ensureBusybox } from '../support/docker-cli.js';
import { schemaValidator } from '../support/json-schema.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { runCli } from '../support/run-cli.js';
import { systemDf as engineDf } from '../support/engine-df.js';

interface RawDf {
  LayersSize: number; Containers: { SizeRw?: number }[];
  BuildCache: { ID: string; Size: number; Shared: boolean; InUse: boolean; LastUsedAt?: string; CreatedAt?: string }[] | null;
}

const systemDf = (socket: string) => engineDf<RawDf>(socket);

const cacheBytes = (df: RawDf) => (df.BuildCache ?? []).filter((r) => !r.Shared).reduce((n, r) => n + r.Size, 0);
const imagesAndContainers = (df: RawDf) => df.LayersSize + df.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);

describe('stowage prune: resume journal and build-cache budget, on a private engine', () => {
  const daemon = new PrivateDaemon();
  const env = () => daemon.env;
  const d = (args: string[], input?: Buffer) => docker(args, { env: env(), ...(input ? { input } : {}) });
  const lines = async (args: string[]) => (await d(args)).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-prune-journal-'));

  before(() => daemon.start());
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await daemon.destroy();
  });

  it('an interrupted apply resumes its saved plan with --journal, and what it removed is counted once', { timeout: 240_000 }, async () => {
    const base = await ensureBusybox(env());
    for (let i = 0; i < 3; i++) await d(['import', '-', `resume/unused:${i}`], await tarOfRandom(60_000 + i * 10_000));
    for (let i = 0; i < 5; i++) await d(['run', '--network', 'none', base, 'sh', '-c', `dd if=/dev/urandom of=/junk bs=1024 count=${10 + i} 2>/dev/null`]);
    const options: PruneOptions = { images: 'unused', protect: { images: [base] }, skip: ['build-cache'], apply: true };
    const journal = join(dir, 'prune.journal');
    const dfBefore = await systemDf(daemon.socket);

    // first run: stopped after the fourth removal starts, as Ctrl-C would; the removals already in flight finish
    // (containers go 8 at a time), the images after them are not started
    const stop = new AbortController();
    const progress: Progress = { update: (u) => { if (u.step?.startsWith('removing') && u.done === 3) stop.abort(); }, end: () => {} } as Progress;
    const context = capabilityContext({ connect: { host: daemon.host }, signal: stop.signal, progress });
    const planned = await planPruneOnEngine({ ...options, journal }, capabilityContext({ connect: { host: daemon.host } }));
    assert.equal(planned.result.plan.actions.length, 8, 'five stopped containers and three unused images');
    const first = await applyPrunePlan(planned, { ...options, journal }, context);
    assert.equal(first.applied!.aborted, true);
    assert.ok(first.applied!.totals.done >= 4 && first.applied!.totals.notRun >= 3, JSON.stringify(first.applied!.totals));
    assert.equal(first.applied!.totals.done + first.applied!.totals.notRun, 8);
    assert.ok(existsSync(journal) && existsSync(savedPlanPath(journal)), 'the journal and the saved plan stay for the next run');
    const firstDone = first.applied!.results.filter((r) => r.status === 'done');

    // second run through the CLI, as a user would: the saved plan is resumed, not re-planned
    const again = await runCli(['--json', '-H', daemon.host, 'prune', '--images', 'unused', '--keep-image', base, '--skip', 'build-cache', '--apply', '--journal', journal]);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as { result: PruneResult };
    assert.deepEqual(schemaValidator('prune.schema.json')(doc), []);
    const second = doc.result;
    assert.equal(second.resumedFrom?.journal, journal);
    assert.equal(second.plan.digest, planned.result.plan.digest, 'the same plan');
    assert.deepEqual(second.applied!.results.filter((r) => r.status === 'done-earlier').map((r) => r.id).sort(), firstDone.map((r) => r.id).sort());
    assert.equal(second.applied!.totals.done, 8 - firstDone.length);
    assert.equal(second.applied!.totals.failed + second.applied!.totals.skipped, 0);
    assert.ok(!existsSync(journal) && !existsSync(savedPlanPath(journal)), 'a finished apply leaves no journal');

    // Docker: everything planned is gone, and df lost what the two runs report together, each object once
    const containers = new Set(await lines(['ps', '-aq', '--no-trunc']));
    const images = new Set(await lines(['images', '-q', '--no-trunc']));
    for (const a of planned.result.plan.actions) assert.ok(!containers.has(a.target) && !images.has(a.target), `${a.kind} ${a.target} is gone`);
    const lost = imagesAndContainers(dfBefore) - imagesAndContainers(await systemDf(daemon.socket));
    assert.equal(second.applied!.totals.bytes, planned.result.plan.totals.bytes, 'done + done-earlier = the plan, each once');
    assert.ok(Math.abs(second.applied!.totals.bytes - lost) <= 0.05 * lost, `reported ${second.applied!.totals.bytes} B, docker system df lost ${lost} B`);
  });

  it('images\' last use comes from container starts and stops and the engine\'s events, and orders --until-free', { timeout: 240_000 }, async () => {
    const base = await ensureBusybox(env());
    // three images of one layer (busybox's), told apart by a label; c is the newest by creation
    for (const n of ['a', 'b', 'c']) await d(['build', '-q', '-t', `lastuse/${n}:1`, '--label', `n=${n}`, '-'], Buffer.from(`FROM ${base}\n`));
    await d(['create', '--name', 'lastuse-b', '--network', 'none', 'lastuse/b:1', 'true']);
    await new Promise((r) => setTimeout(r, 1500));
    await d(['run', '--rm', '--network', 'none', 'lastuse/a:1', 'true']); // leaves no container: only events
    await new Promise((r) => setTimeout(r, 1500));
    await d(['start', '-a', 'lastuse-b']); // b: started and stopped last of all
    const options: PruneOptions = { images: 'unused', skip: ['containers', 'build-cache'], protect: { images: [base] }, untilFree: 1 };
    const planned = (await planPruneOnEngine(options, capabilityContext({ connect: { host: daemon.host } }))).result;
    assert.equal(planned.lastUse?.containerTimes, 'store', 'a local engine: the saved container state');
    assert.ok((planned.lastUse?.events ?? 0) > 0);
    const ids = Object.fromEntries(await Promise.all(['a', 'b', 'c'].map(async (n) => [n, (await d(['image', 'inspect', '-f', '{{.Id}}', `lastuse/${n}:1`])).stdout.trim()])));
    // --until-free 100%: every candidate goes, least recently used first: c (created), a (its --rm run); b is in use by a kept container
    const order = planned.plan.actions.filter((a) => a.kind === 'remove-image').map((a) => a.target);
    assert.deepEqual(order.filter((t) => Object.values(ids).includes(t)), [ids.c, ids.a]);
    // the reasons, against Docker's own record: the --rm container's die event, b's container's FinishedAt
    const events = (await d(['events', '--since', '0', '--until', String(Math.floor(Date.now() / 1000)), '--filter', 'type=container', '--filter', 'image=lastuse/a:1', '--format', '{{.Action}} {{.TimeNano}}'])).stdout.trim().split('\n');
    const lastA = Math.max(...events.filter((e) => /^(create|start|die|stop|destroy) /.test(e)).map((e) => Math.floor(Number(e.split(' ')[1]) / 1e6)));
    assert.ok(lastA > 0, 'docker events saw the --rm container');
    assert.match(planned.plan.actions.find((a) => a.target === ids.a)!.reason, /least recently used \(container [0-9a-f]{12} (stopped|removed) \(engine event\) /);
    const keptB = planned.plan.refusals.find((r) => r.target.includes(ids.b.slice(7, 19)))!;
    assert.match(keptB.detail, /^used by container lastuse-b \(exited\)$/);

    // on one inventory (its own clock): b's last use is its container's stop as docker inspect has it, and a
    // --keep-since between c's creation and a's last event keeps a (by the event alone) and not c
    const engine = await connectEngine({ host: daemon.host });
    const inventory = await readInventory(engine, capabilityContext({ connect: { host: daemon.host } }), { lastUse: true });
    const image = (n: string) => inventory.images.find((i) => i.id === ids[n])!;
    const finished = Date.parse((await d(['inspect', '-f', '{{.State.FinishedAt}}', 'lastuse-b'])).stdout.trim());
    assert.deepEqual(lastUsedMs(image('b'), inventory.containers), { ms: finished, what: 'container lastuse-b stopped' });
    assert.equal(lastUsedMs(image('a'), inventory.containers).ms, lastA, 'a: the latest event docker events shows for it');
    const lastC = lastUsedMs(image('c'), inventory.containers).ms;
    assert.ok(lastC < lastA, 'c was last used (built, tagged) before a\'s --rm run');
    const keepSinceMs = inventory.takenAt - (lastC + lastA) / 2;
    const kept = planPrune(inventory, { ...options, untilFree: undefined, protect: { images: [base], keepSinceMs } }).plan;
    assert.match(kept.refusals.find((r) => r.target.includes(ids.a.slice(7, 19)))!.detail, /^container [0-9a-f]{12} (stopped|removed) \(engine event\) \d+ s ago, younger than --keep-since/);
    assert.ok(kept.actions.some((x) => x.target === ids.c), 'c, used by nothing since its creation, goes');
    await d(['rm', 'lastuse-b']);
    await d(['rmi', 'lastuse/a:1', 'lastuse/b:1', 'lastuse/c:1']);
  });

  it('--keep-storage removes the least recently used records only until the build cache fits', { timeout: 240_000 }, async () => {
    const base = await ensureBusybox(env());
    for (let i = 0; i < 4; i++) {
      await buildImage(`budget/b${i}:1`, `FROM ${base}\nRUN head -c ${(i + 1) * 150_000} /dev/urandom > /r${i}\n`, {}, env());
    }
    // with its image gone, a step's record no longer shares its snapshot with an image layer: it is build cache alone
    await d(['rmi', ...[0, 1, 2, 3].map((i) => `budget/b${i}:1`)]);
    const before = await systemDf(daemon.socket);
    const total = cacheBytes(before);
    assert.ok(total > 300_000, `the builds left cache (${total} B)`);
    const budget = Math.floor(total / 2);
    const options: PruneOptions = { skip: ['containers', 'dangling-images', 'unused-images'], buildCacheUntilMs: 0, buildCacheKeepBytes: budget, apply: true };
    const context = capabilityContext({ connect: { host: daemon.host } });
    const planned = await planPruneOnEngine(options, context);
    const result = await applyPrunePlan(planned, options, context);
    assert.equal(result.applied!.totals.failed, 0);
    const after = await systemDf(daemon.socket);
    assert.ok(cacheBytes(after) <= budget, `docker system df's build cache ${cacheBytes(after)} B fits --keep-storage ${budget} B`);
    // the records that went are exactly those the plan listed, and none was used later than one kept for the budget
    const left = new Set((after.BuildCache ?? []).map((r) => r.ID));
    const removed = new Set(planned.result.plan.actions.map((a) => a.target));
    assert.ok(removed.size > 0, 'something had to go');
    for (const r of before.BuildCache ?? []) assert.equal(!left.has(r.ID), removed.has(r.ID), `record ${r.ID}: gone exactly when planned`);
    const used = (r: NonNullable<RawDf['BuildCache']>[number]) => Date.parse(r.LastUsedAt ?? r.CreatedAt ?? '');
    const keptForBudget = planned.result.plan.refusals.filter((x) => x.detail.includes('--keep-storage')).map((x) => x.target);
    const latestRemoved = Math.max(...(before.BuildCache ?? []).filter((r) => removed.has(r.ID)).map(used));
    for (const id of keptForBudget) {
      const r = (before.BuildCache ?? []).find((x) => x.ID === id)!;
      assert.ok(used(r) >= latestRemoved, `kept record ${id} was used no earlier than every removed one`);
    }
    // not more than needed: the last record to go (least recently used order) was needed to fit
    const last = (before.BuildCache ?? []).filter((r) => removed.has(r.ID) && !r.Shared).sort((a, b) => used(a) - used(b) || a.ID.localeCompare(b.ID)).pop()!;
    assert.ok(cacheBytes(after) + last.Size > budget, `without removing ${last.ID} (${last.Size} B) the cache would not fit`);
    process.stderr.write(`prune --keep-storage ${budget} B: build cache ${total} B -> ${cacheBytes(after)} B, ${removed.size} of ${(before.BuildCache ?? []).length} records removed\n`);
  });
});

async function tarOfRandom(bytes: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-prune-tar-'));
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'data'), randomBytes(bytes));
    const { spawnSync } = await import('node:child_process');
    const tar = spawnSync('tar', ['-C', dir, '-c', 'data'], { maxBuffer: 64 * 1024 ** 2 });
    if (tar.status !== 0) throw new Error(`tar: ${String(tar.stderr)}`);
    return tar.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
