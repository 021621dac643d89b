/**
 * Applies a plan action by action: each is re-checked just before it runs (what was unused when planned may
 * be in use now), its progress journaled, and its result reported; an abort stops before the next action.
 */
import { StowageError } from '../errors.js';
import { mapLimit } from '../map-limit.js';
import { PlanJournal, type JournalState } from './plan-journal.js';
import type { Plan, PlanAction } from './plan.js';

export type ActionStatus =
  /** Applied in this run. */
  | 'done'
  /** Applied by an earlier run of the same plan (from the journal). */
  | 'done-earlier'
  /** The re-check found it no longer applies; `reason` says why. */
  | 'skipped'
  | 'failed'
  /** Not reached: the apply was aborted first. */
  | 'not-run';

export interface ActionResult {
  id: string;
  kind: string;
  target: string;
  status: ActionStatus;
  /** Bytes actually freed or written (the action's own figure when it does not say). */
  bytes: number;
  reason?: string;
}

/**
 * Thrown by `perform` when the action turns out not to apply after all (the engine refuses it as in use, 409):
 * reported as `skipped` with the message as the reason, never as a failure.
 */
export class SkipAction extends Error {}

export interface ApplyOptions {
  /** Applies one action; resolves with the bytes it freed or wrote when it knows them. */
  perform(action: PlanAction, signal: AbortSignal): Promise<{ bytes?: number } | void>;
  /** Just before `perform`: undefined to go ahead, or why the action no longer applies. */
  recheck(action: PlanAction): Promise<string | undefined>;
  signal?: AbortSignal;
  /** A file to journal progress to; a killed apply given the same file resumes after what it finished. */
  journal?: string;
  now?: () => Date;
  /** Actions that build on each other (provisioning a disk): after a failure the rest are not run. */
  stopOnFailure?: boolean;
  /**
   * Consecutive actions of one group (by default their kind) that `independent` accepts run up to `limit` at a
   * time (removing many containers: each is a round trip to the engine). Everything else runs one at a time, in
   * plan order. A new group starts a new run: what it holds may build on the run before.
   */
  concurrent?: { limit: number; independent: (action: PlanAction) => boolean; group?: (action: PlanAction) => string };
}

export interface ApplyResult {
  results: ActionResult[];
  totals: { done: number; doneEarlier: number; skipped: number; failed: number; notRun: number; bytes: number };
  /** True when the signal stopped the apply before every action was tried. */
  aborted: boolean;
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const now = options.now ?? (() => new Date());
  const signal = options.signal ?? new AbortController().signal;
  const opened = options.journal ? PlanJournal.open(options.journal, plan.command, plan.digest, now) : undefined;
  const journal = opened?.journal;
  const state: JournalState = opened?.state ?? { done: new Map(), interrupted: new Set() };
  const result = (a: PlanAction, status: ActionStatus, bytes: number, reason?: string): ActionResult =>
    ({ id: a.id, kind: a.kind, target: a.target, status, bytes, ...(reason === undefined ? {} : { reason }) });
  let aborted = false;
  let failedAt: string | undefined;

  const runOne = async (action: PlanAction): Promise<ActionResult> => {
    const earlier = state.done.get(action.id);
    if (earlier !== undefined) return result(action, 'done-earlier', earlier);
    if (failedAt !== undefined) return result(action, 'not-run', 0, `${failedAt} failed before it`);
    if (aborted || signal.aborted) {
      aborted = true;
      return result(action, 'not-run', 0);
    }
    const why = await options.recheck(action);
    if (why !== undefined) {
      journal?.append({ event: 'end', id: action.id, status: 'skipped', reason: why, at: now().toISOString() });
      return result(action, 'skipped', 0, why);
    }
    journal?.append({ event: 'start', id: action.id, at: now().toISOString() });
    try {
      const outcome = await options.perform(action, signal);
      const bytes = outcome?.bytes ?? action.bytes;
      journal?.append({ event: 'end', id: action.id, status: 'done', bytes, at: now().toISOString() });
      return result(action, 'done', bytes);
    } catch (err) {
      if (err instanceof SkipAction) {
        journal?.append({ event: 'end', id: action.id, status: 'skipped', reason: err.message, at: now().toISOString() });
        return result(action, 'skipped', 0, err.message);
      }
      if (signal.aborted) {
        aborted = true;
        return result(action, 'not-run', 0, 'aborted while applying');
      }
      const reason = err instanceof StowageError || err instanceof Error ? err.message : String(err);
      journal?.append({ event: 'end', id: action.id, status: 'failed', reason, at: now().toISOString() });
      if (options.stopOnFailure) failedAt = action.id;
      return result(action, 'failed', 0, reason);
    }
  };

  const results: ActionResult[] = [];
  const concurrent = options.concurrent;
  try {
    for (let i = 0; i < plan.actions.length;) {
      // a run of actions that do not depend on each other goes `concurrent.limit` at a time, results in plan order
      let end = i + 1;
      const group = (a: PlanAction) => concurrent?.group?.(a) ?? a.kind;
      if (concurrent) while (end < plan.actions.length && concurrent.independent(plan.actions[i]!) && concurrent.independent(plan.actions[end]!) && group(plan.actions[end]!) === group(plan.actions[i]!)) end++;
      results.push(...(end - i > 1 ? await mapLimit(plan.actions.slice(i, end), concurrent!.limit, runOne) : [await runOne(plan.actions[i]!)]));
      i = end;
    }
  } catch (err) {
    journal?.close();
    throw err;
  }
  const count = (s: ActionStatus) => results.filter((r) => r.status === s).length;
  const totals = {
    done: count('done'), doneEarlier: count('done-earlier'), skipped: count('skipped'), failed: count('failed'), notRun: count('not-run'),
    bytes: results.reduce((n, r) => n + (r.status === 'done' || r.status === 'done-earlier' ? r.bytes : 0), 0),
  };
  // a finished plan leaves no journal; one with failures or unreached actions keeps it for the next run
  if (journal) {
    if (!aborted && totals.failed === 0) journal.remove();
    else journal.close();
  }
  return { results, totals, aborted };
}
