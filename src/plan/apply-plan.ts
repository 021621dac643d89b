/**
 * Applies a plan action by action: each is re-checked just before it runs (what was unused when planned may
 * be in use now), its progress journaled, and its result reported; an abort stops before the next action.
 */
import { StowageError } from '../errors.js';
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
  const results: ActionResult[] = [];
  const result = (a: PlanAction, status: ActionStatus, bytes: number, reason?: string): ActionResult =>
    ({ id: a.id, kind: a.kind, target: a.target, status, bytes, ...(reason === undefined ? {} : { reason }) });
  let aborted = false;
  let failedAt: string | undefined;
  try {
    for (const action of plan.actions) {
      const earlier = state.done.get(action.id);
      if (earlier !== undefined) {
        results.push(result(action, 'done-earlier', earlier));
        continue;
      }
      if (failedAt !== undefined) {
        results.push(result(action, 'not-run', 0, `${failedAt} failed before it`));
        continue;
      }
      if (aborted || signal.aborted) {
        aborted = true;
        results.push(result(action, 'not-run', 0));
        continue;
      }
      // an action a killed run had started is re-checked like any other: it may be half done or done
      const why = await options.recheck(action);
      if (why !== undefined) {
        journal?.append({ event: 'end', id: action.id, status: 'skipped', reason: why, at: now().toISOString() });
        results.push(result(action, 'skipped', 0, why));
        continue;
      }
      journal?.append({ event: 'start', id: action.id, at: now().toISOString() });
      try {
        const outcome = await options.perform(action, signal);
        const bytes = outcome?.bytes ?? action.bytes;
        journal?.append({ event: 'end', id: action.id, status: 'done', bytes, at: now().toISOString() });
        results.push(result(action, 'done', bytes));
      } catch (err) {
        if (err instanceof SkipAction) {
          journal?.append({ event: 'end', id: action.id, status: 'skipped', reason: err.message, at: now().toISOString() });
          results.push(result(action, 'skipped', 0, err.message));
          continue;
        }
        if (signal.aborted) {
          // left as started in the journal: the next run re-checks it
          aborted = true;
          results.push(result(action, 'not-run', 0, 'aborted while applying'));
          continue;
        }
        const reason = err instanceof StowageError || err instanceof Error ? err.message : String(err);
        journal?.append({ event: 'end', id: action.id, status: 'failed', reason, at: now().toISOString() });
        results.push(result(action, 'failed', 0, reason));
        if (options.stopOnFailure) failedAt = action.id;
      }
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
