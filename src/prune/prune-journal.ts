/**
 * The plan an apply with a journal works through, saved beside the journal (`JOURNAL.plan.json`), so that an
 * interrupted apply resumes that same plan: what it removed is reported once (`done-earlier`, with its bytes),
 * and the rest is re-checked just before removal as in any apply. A fresh plan could not say what the first
 * run freed, since what is gone is no longer in the engine.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BadInputError } from '../errors.js';
import type { PrunePlanned } from './prune.js';

export const savedPlanPath = (journal: string) => `${journal}.plan.json`;

/** The plan saved for `journal`, or undefined when there is none (a fresh start). */
export function readSavedPlan(journal: string): PrunePlanned | undefined {
  let text: string;
  try {
    text = readFileSync(savedPlanPath(journal), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BadInputError(`cannot read the saved plan ${savedPlanPath(journal)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const saved = JSON.parse(text) as { schemaVersion?: unknown; planned?: PrunePlanned };
    if (saved.schemaVersion !== 1 || !saved.planned?.result?.plan || !saved.planned.inventory) throw new Error('not a saved prune plan');
    return saved.planned;
  } catch (err) {
    throw new BadInputError(`${savedPlanPath(journal)} is not a saved prune plan (${(err as Error).message})`, `Remove it and ${journal} to plan afresh.`);
  }
}

/** Saves the plan before the first removal (written whole, then renamed into place). */
export function savePlan(journal: string, planned: PrunePlanned): void {
  const path = savedPlanPath(journal);
  writeFileSync(`${path}.tmp`, JSON.stringify({ schemaVersion: 1, planned }));
  renameSync(`${path}.tmp`, path);
}

export function removeSavedPlan(journal: string): void {
  rmSync(savedPlanPath(journal), { force: true });
}
