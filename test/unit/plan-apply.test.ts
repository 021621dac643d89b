import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../src/plan/apply-plan.js';
import { makePlan, type PlanAction } from '../../src/plan/plan.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import { makeStyle } from '../../src/render/style.js';

/** A real directory of files to remove, each a given size; an `.in-use` file beside one marks it busy. */
function fixture(sizes: number[]) {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-plan-'));
  const actions: PlanAction[] = sizes.map((size, i) => {
    writeFileSync(join(dir, `f${i}`), Buffer.alloc(size, 97));
    return { id: `f${i}`, kind: 'remove-file', target: join(dir, `f${i}`), bytes: size, reason: 'unused' };
  });
  const recheck = async (a: PlanAction) => {
    if (!existsSync(a.target)) return 'already gone';
    if (existsSync(`${a.target}.in-use`)) return 'in use now';
    return undefined;
  };
  const perform = async (a: PlanAction) => {
    const bytes = statSync(a.target).size;
    unlinkSync(a.target);
    return { bytes };
  };
  return { dir, actions, recheck, perform, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a plan carries its totals and refusals, and renders the same facts as text', () => {
  const plan = makePlan('prune', [
    { id: 'a', kind: 'remove-image', target: 'sha256:aaa', bytes: 1_500_000, reason: 'dangling' },
    { id: 'b', kind: 'remove-volume', target: 'cache', bytes: 500_000, reason: 'unused for 40 days' },
  ], [{ kind: 'image', target: 'app:prod', bytes: 9_000_000, reason: 'protected', detail: 'label keep=true' }]);
  assert.deepEqual(plan.totals, { actions: 2, bytes: 2_000_000, refusals: 1, refusedBytes: 9_000_000 });
  assert.match(plan.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(JSON.parse(JSON.stringify(plan)).actions.length, 2, 'the JSON is the plan itself');
  assert.equal(renderPlanText(plan, makeStyle(false)), [
    'prune: plan (nothing changed yet): 2 actions, 2.00 MB',
    '  remove-image   sha256:aaa  1.50 MB  dangling',
    '  remove-volume  cache       500 kB   unused for 40 days',
    'left alone: 1 (9.00 MB)',
    '  protected  image  app:prod  9.00 MB  label keep=true',
  ].join('\n'));
  assert.throws(() => makePlan('x', [plan.actions[0]!, plan.actions[0]!]), /appears twice/);
});

test('each action is re-checked at apply time and reported on its own', async () => {
  const f = fixture([10, 20, 30]);
  try {
    const plan = makePlan('prune', f.actions);
    writeFileSync(`${f.actions[1]!.target}.in-use`, '');
    const result = await applyPlan(plan, {
      recheck: f.recheck,
      perform: async (a) => {
        if (a.id === 'f2') throw new Error('permission denied');
        return f.perform(a);
      },
    });
    assert.deepEqual(result.results.map((r) => [r.id, r.status, r.bytes, r.reason]), [
      ['f0', 'done', 10, undefined], ['f1', 'skipped', 0, 'in use now'], ['f2', 'failed', 0, 'permission denied'],
    ]);
    assert.deepEqual(result.totals, { done: 1, doneEarlier: 0, skipped: 1, failed: 1, notRun: 0, bytes: 10 });
    assert.equal(existsSync(f.actions[1]!.target), true, 'what came into use is left alone');
  } finally {
    f.cleanup();
  }
});

test('an apply aborted mid-way resumes from its journal and finishes the rest', async () => {
  const f = fixture([1, 2, 3, 4, 5]);
  const journal = join(f.dir, 'journal.ndjson');
  try {
    const plan = makePlan('prune', f.actions);
    const controller = new AbortController();
    const first = await applyPlan(plan, {
      recheck: f.recheck, journal, signal: controller.signal,
      perform: async (a) => {
        const r = await f.perform(a);
        if (a.id === 'f1') controller.abort(new Error('Ctrl-C'));
        return r;
      },
    });
    assert.equal(first.aborted, true);
    assert.deepEqual(first.results.map((r) => r.status), ['done', 'done', 'not-run', 'not-run', 'not-run']);
    assert.equal(existsSync(f.actions[2]!.target), true, 'nothing after the abort was touched');
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; id?: string });
    assert.deepEqual(lines.map((l) => `${l.event}${l.id ? ` ${l.id}` : ''}`), ['plan', 'start f0', 'end f0', 'start f1', 'end f1']);

    // a run killed while applying f2 leaves a start without an end, after f2's file was already removed
    writeFileSync(journal, `${readFileSync(journal, 'utf8')}${JSON.stringify({ event: 'start', id: 'f2', at: new Date().toISOString() })}\n{"event":"end","id":"f2`);
    unlinkSync(f.actions[2]!.target);

    const performed: string[] = [];
    const second = await applyPlan(plan, { recheck: f.recheck, journal, perform: async (a) => { performed.push(a.id); return f.perform(a); } });
    assert.deepEqual(second.results.map((r) => [r.id, r.status, r.bytes]), [
      ['f0', 'done-earlier', 1], ['f1', 'done-earlier', 2], ['f2', 'skipped', 0], ['f3', 'done', 4], ['f4', 'done', 5],
    ]);
    assert.deepEqual(performed, ['f3', 'f4'], 'nothing is done twice');
    assert.equal(second.aborted, false);
    assert.equal(existsSync(journal), false, 'a finished plan leaves no journal');
  } finally {
    f.cleanup();
  }
});

test('a journal written for another plan is refused', async () => {
  const f = fixture([1, 2]);
  const journal = join(f.dir, 'journal.ndjson');
  try {
    const controller = new AbortController();
    controller.abort();
    await applyPlan(makePlan('prune', f.actions), { recheck: f.recheck, perform: f.perform, journal, signal: controller.signal });
    await assert.rejects(applyPlan(makePlan('prune', f.actions.slice(1)), { recheck: f.recheck, perform: f.perform, journal }), /journal .* belongs to another plan/);
  } finally {
    f.cleanup();
  }
});

test('independent actions of one kind run up to the limit at a time, the rest one by one, results in plan order', async () => {
  const f = fixture([1, 2, 3, 4, 5, 6]);
  try {
    // four files, then a "parent" that must wait for them, then two more files
    const actions = f.actions.map((a, i) => (i === 4 ? { ...a, kind: 'remove-parent' } : a));
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const result = await applyPlan(makePlan('prune', actions), {
      recheck: f.recheck,
      perform: async (a) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        if (a.kind === 'remove-parent') assert.equal(inFlight, 1, 'a dependent action runs alone');
        await new Promise((r) => setTimeout(r, a.id === 'f0' ? 30 : 5));
        order.push(a.id);
        inFlight -= 1;
        return f.perform(a);
      },
      concurrent: { limit: 3, independent: (a) => a.kind === 'remove-file' },
    });
    assert.equal(most, 3, 'three at a time, never more');
    assert.ok(order.indexOf('f0') > order.indexOf('f1'), 'the slow first one finished after a later one');
    assert.ok(order.indexOf('f4') > Math.max(...['f0', 'f1', 'f2', 'f3'].map((id) => order.indexOf(id))), 'the parent after every action before it');
    assert.deepEqual(result.results.map((r) => r.id), ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'], 'reported in plan order');
    assert.equal(result.totals.done, 6);
    assert.equal(result.totals.bytes, 21);
  } finally {
    f.cleanup();
  }
});

test('with groups, a run of independent actions ends where the group changes: a wave starts after the one before it ends', async () => {
  const f = fixture([1, 2, 3, 4]);
  try {
    // f0 and f1 are the first wave (f0 slow), f2 and f3 the second, which builds on the first
    const wave = (id: string) => (id === 'f0' || id === 'f1' ? 0 : 1);
    const order: string[] = [];
    let inFlight = 0;
    let most = 0;
    const result = await applyPlan(makePlan('prune', f.actions), {
      recheck: f.recheck,
      perform: async (a) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        order.push(`start ${a.id}`);
        await new Promise((r) => setTimeout(r, a.id === 'f0' ? 30 : 5));
        order.push(`end ${a.id}`);
        inFlight -= 1;
        return f.perform(a);
      },
      concurrent: { limit: 4, independent: () => true, group: (a) => `wave ${wave(a.id)}` },
    });
    assert.equal(most, 2, 'two at a time: each wave holds two');
    const startOfSecond = Math.min(order.indexOf('start f2'), order.indexOf('start f3'));
    assert.ok(startOfSecond > order.indexOf('end f0') && startOfSecond > order.indexOf('end f1'), order.join(', '));
    assert.equal(result.totals.done, 4);
  } finally {
    f.cleanup();
  }
});
