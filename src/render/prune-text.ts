/** `stowage prune` as text: per phase, what goes (or went) with its bytes and why, and what stays and why. */
import type { PruneResult } from '../prune/prune.js';
import { count, formatBytes } from './format.js';
import type { Style } from './style.js';

const PHASE_TITLES: Record<string, string> = {
  'containers': 'stopped containers',
  'dangling-images': 'dangling images',
  'build-cache': 'build cache',
  'unused-images': 'unused images',
  'volumes': 'unused volumes',
  'networks': 'unused networks',
};

/** Kept objects listed per phase in text; the rest are counted (the JSON lists every one). */
const KEPT_SHOWN = 10;

/** IDs shortened as the docker CLI shows them; names stay whole. */
function shortTarget(target: string): string {
  const bare = target.replace(/^sha256:/, '');
  return /^[0-9a-f]{64}$/.test(bare) || /^[0-9a-z]{25}$/.test(bare) ? bare.slice(0, 12) : target;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

export function renderPruneText(result: PruneResult, style: Style): string {
  const { plan, applied } = result;
  const lines: string[] = [];
  const status = new Map(applied?.results.map((r) => [r.id, r]) ?? []);
  lines.push(style.bold(applied
    ? `prune: applied${result.resumedFrom ? ` (resumed the plan of ${result.resumedFrom.plannedAt} from ${result.resumedFrom.journal})` : ''}: ${count(applied.totals.done, 'object')} removed${applied.totals.doneEarlier ? `, ${applied.totals.doneEarlier} removed by the interrupted run` : ''}, ${applied.totals.skipped} skipped, ${applied.totals.failed} failed${applied.totals.notRun ? `, ${applied.totals.notRun} not run` : ''}`
    : `prune: plan (nothing changed yet): ${count(plan.totals.actions, 'object')} to remove, ${formatBytes(plan.totals.bytes)} to free`
      + (result.imageBytesHeldByCache > 0 ? ` (at least ${formatBytes(plan.totals.bytes - result.imageBytesHeldByCache)}: see the note below)` : '')));
  for (const phase of result.phases) {
    const title = PHASE_TITLES[phase.name] ?? phase.name;
    if (!phase.enabled) {
      lines.push('', `${style.bold(title)}: ${phase.off}`);
      continue;
    }
    const actions = plan.actions.filter((a) => a.group === phase.name);
    const kept = plan.refusals.filter((r) => r.group === phase.name);
    const bytes = actions.reduce((n, a) => n + a.bytes, 0);
    lines.push('', `${style.bold(title)}: ${actions.length} to remove (${formatBytes(bytes)}), ${kept.length} kept`);
    const rows = [
      ...actions.map((a) => {
        const r = status.get(a.id);
        const verb = r ? r.status : 'remove';
        return [verb, shortTarget(a.target), formatBytes(r && r.status === 'done' ? r.bytes : a.bytes), r?.reason ?? a.reason];
      }),
      ...kept.slice(0, KEPT_SHOWN).map((k) => [`keep (${k.reason})`, shortTarget(k.target), formatBytes(k.bytes), k.detail]),
    ];
    if (rows.length) lines.push(...table(rows));
    const more = kept.slice(KEPT_SHOWN);
    if (more.length) {
      const inUse = more.filter((k) => k.reason === 'in-use').length;
      lines.push(style.dim(`  … and ${more.length} more kept (${inUse} in use, ${more.length - inUse} protected; ${formatBytes(more.reduce((n, k) => n + k.bytes, 0))}): --json lists each with why`));
    }
  }
  lines.push('');
  lines.push(`total: ${count(plan.totals.actions, 'object')} to remove, ${formatBytes(plan.totals.bytes)}`
    + (result.imageBytes === 'engine' ? ' (some image bytes are the engine\'s unique size, a lower bound)' : '')
    + `; ${plan.totals.refusals} kept (in use or protected)`);
  if (result.buildCacheKeepBytes !== undefined) lines.push(`build cache budget --keep-storage ${formatBytes(result.buildCacheKeepBytes)}: least recently used records first, only until the cache fits`);
  if (result.spaceTarget) {
    const t = result.spaceTarget;
    lines.push(`target ${t.flag}: ${t.path} has ${formatBytes(t.freeBytes)} free of ${formatBytes(t.totalBytes)}; `
      + (t.needBytes > 0 ? `${formatBytes(t.needBytes)} to free, images least recently used first` : 'already there: no image needs to go'));
  }
  if (result.imageBytesHeldByCache > 0) {
    lines.push(`note: up to ${formatBytes(result.imageBytesHeldByCache)} of the images' bytes stay on disk with build cache that is kept and shares their layers; `
      + 'they go when that cache does (--build-cache-until 0 removes every record no build uses)');
  }
  if (applied && result.measured) {
    const m = result.measured;
    const f = m.engine.freed;
    lines.push(`freed: ${formatBytes(applied.totals.bytes)} by the plan's figures; docker system df: ${formatBytes(f.total)} `
      + `(images ${formatBytes(f.images)}, containers ${formatBytes(f.containers)}, volumes ${formatBytes(f.volumes)}, build cache ${formatBytes(f.buildCache)}`
      + `${f.buildCache < 0 ? ': image layers kept build cache shares are counted as build cache now' : ''})`);
    lines.push('freeBefore' in m.filesystem
      ? `filesystem ${m.filesystem.path}: ${formatBytes(m.filesystem.freeBefore)} free before, ${formatBytes(m.filesystem.freeAfter)} after (${formatBytes(m.filesystem.freed)})`
      : `filesystem: not measured: ${m.filesystem.unavailable}`);
    if (applied.aborted) lines.push('stopped before every object was tried');
  } else if (plan.totals.actions) {
    lines.push(style.dim('Nothing was removed: run again with --apply to remove what is listed.'));
  }
  return lines.join('\n');
}
