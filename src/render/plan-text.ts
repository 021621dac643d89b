/** A plan as text: what would be done (or was), with bytes and reasons, then what is left alone and why. */
import type { ApplyResult } from '../plan/apply-plan.js';
import type { Plan } from '../plan/plan.js';
import { formatBytes } from './format.js';
import type { Style } from './style.js';

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

export function renderPlanText(plan: Plan, style: Style, applied?: ApplyResult): string {
  const lines: string[] = [];
  const head = applied ? 'applied' : 'plan (nothing changed yet)';
  lines.push(style.bold(`${plan.command}: ${head}: ${plan.totals.actions} action${plan.totals.actions === 1 ? '' : 's'}, ${formatBytes(plan.totals.bytes)}`));
  const status = new Map(applied?.results.map((r) => [r.id, r]) ?? []);
  if (plan.actions.length) {
    lines.push(...table(plan.actions.map((a) => {
      const r = status.get(a.id);
      const cells = [a.kind, a.target, formatBytes(a.bytes), a.reason];
      return r ? [r.status, ...cells.slice(0, 3), r.reason ?? a.reason] : cells;
    })));
  }
  if (plan.refusals.length) {
    lines.push(style.bold(`left alone: ${plan.refusals.length} (${formatBytes(plan.totals.refusedBytes)})`));
    lines.push(...table(plan.refusals.map((r) => [r.reason, r.kind, r.target, formatBytes(r.bytes), r.detail])));
  }
  if (applied) {
    const t = applied.totals;
    lines.push(`done ${t.done}, done earlier ${t.doneEarlier}, skipped ${t.skipped}, failed ${t.failed}, not run ${t.notRun}: ${formatBytes(t.bytes)}${applied.aborted ? ' (stopped)' : ''}`);
  }
  return lines.join('\n');
}
