/**
 * What a destructive or rewriting command means to do, shown before anything changes (dry run by default):
 * actions with their targets, bytes and reasons, and refusals for what is protected or in use. prune,
 * migrate and provision return one; lint --fix and flatten can describe themselves with one.
 */
import { createHash } from 'node:crypto';

export interface PlanAction {
  /** Unique within the plan and stable across runs of the same plan (the journal resumes by it). */
  id: string;
  /** What is done: `remove-image`, `remove-volume`, `write-file`, `mkfs`… */
  kind: string;
  /** What it is done to: an image ID, a path, a device. */
  target: string;
  /** Bytes freed, written or moved; 0 when none. */
  bytes: number;
  /** Why, in words a user checks: "dangling, unused for 40 days". */
  reason: string;
  /** The step it belongs to, for plans shown in steps (prune's phases). */
  group?: string;
}

/** Why something that matched is left alone. */
export type RefusalReason = 'protected' | 'in-use';

export interface PlanRefusal {
  kind: string;
  target: string;
  bytes: number;
  reason: RefusalReason;
  /** What protects it or uses it: "label keep=true", "container web-1 (running)". */
  detail: string;
  /** The step it belongs to, as for actions. */
  group?: string;
}

export interface Plan {
  /** The command that made it. */
  command: string;
  actions: PlanAction[];
  refusals: PlanRefusal[];
  totals: { actions: number; bytes: number; refusals: number; refusedBytes: number };
  /** sha256 of the actions, so that a journal is resumed only against the plan it was written for. */
  digest: string;
}

export function makePlan(command: string, actions: readonly PlanAction[], refusals: readonly PlanRefusal[] = []): Plan {
  const ids = new Set<string>();
  for (const a of actions) {
    if (ids.has(a.id)) throw new Error(`plan for ${command}: action id "${a.id}" appears twice`);
    ids.add(a.id);
  }
  const sum = (xs: readonly { bytes: number }[]) => xs.reduce((n, x) => n + x.bytes, 0);
  const digest = createHash('sha256')
    .update(JSON.stringify(actions.map((a) => [a.id, a.kind, a.target, a.bytes])))
    .digest('hex');
  return {
    command,
    actions: actions.map((a) => ({ ...a })),
    refusals: refusals.map((r) => ({ ...r })),
    totals: { actions: actions.length, bytes: sum(actions), refusals: refusals.length, refusedBytes: sum(refusals) },
    digest: `sha256:${digest}`,
  };
}
