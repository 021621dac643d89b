/** Applies lint autofixes to a Dockerfile's text: safe ones, or unsafe too; relints until nothing changes. */
import { lintText, type LintTextOptions } from './lint-dockerfile.js';
import type { LintFinding, TextEdit } from './rule-context.js';

export interface AppliedFix {
  id: string;
  safety: 'safe' | 'unsafe';
  description: string;
  /** 1-based line of the finding in the text the fix was applied to. */
  line: number;
}

export interface FixTextResult {
  text: string;
  changed: boolean;
  applied: AppliedFix[];
}

const MAX_PASSES = 8;

/** Applies the safe fixes (and the unsafe ones when asked) to a Dockerfile's text, returning the new text. */
export function fixText(text: string, options: LintTextOptions & { unsafe?: boolean } = {}): FixTextResult {
  const bom = text.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  let body = bom ? text.slice(1) : text;
  const applied: AppliedFix[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const { findings } = lintText(body, options);
    const chosen = chooseFixes(findings, Boolean(options.unsafe));
    if (chosen.length === 0) break;
    const edits = chosen.flatMap((f) => f.autofix!.edits).sort((a, b) => b.start - a.start || b.end - a.end);
    for (const e of edits) body = body.slice(0, e.start) + e.text + body.slice(e.end);
    for (const f of chosen) applied.push({ id: f.id, safety: f.autofix!.safety, description: f.autofix!.description, line: f.subject.range?.startLine ?? 0 });
  }
  const out = bom + body;
  return { text: out, changed: out !== text, applied };
}

/** Fixes whose edits do not overlap one another (first in file order wins; the rest wait for the next pass). */
export function chooseFixes(findings: readonly LintFinding[], unsafe: boolean): LintFinding[] {
  const taken: TextEdit[] = [];
  const chosen: LintFinding[] = [];
  // Safe fixes first, so an unsafe one never blocks a safe one at the same place.
  const ordered = [...findings].sort((a, b) => Number(a.autofix?.safety === 'unsafe') - Number(b.autofix?.safety === 'unsafe'));
  for (const f of ordered) {
    if (!f.autofix || (f.autofix.safety === 'unsafe' && !unsafe)) continue;
    if (f.autofix.edits.some((e) => taken.some((t) => overlaps(e, t)))) continue;
    taken.push(...f.autofix.edits);
    chosen.push(f);
  }
  return chosen;
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  // Two edits touching the same point conflict too: their order would matter.
  return a.start <= b.end && b.start <= a.end;
}
