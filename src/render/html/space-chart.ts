/** Where Docker's space goes: images, containers, volumes and build cache, each split into in use and reclaimable. */
import type { DiskUsage } from '../../engine/types.js';
import { formatBytes } from '../format.js';
import { esc } from './escape.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, xAxis } from './svg-chart.js';

const ROW = 34;
const LEFT = 96;

export const SPACE_KINDS = [
  ['images', 'images'], ['containers', 'containers'], ['volumes', 'volumes'], ['buildCache', 'build cache'],
] as const;

export function spaceChart(usage: DiskUsage, docId: string): string {
  const rows = SPACE_KINDS.map(([key, name]) => ({ key, name, t: usage.totals[key] }));
  const right = CHART_WIDTH - MARGIN.right;
  const ticks = niceTicks(maxValue(rows.map((r) => r.t.size), 1), 4);
  const x = linear(0, ticks[ticks.length - 1]!, LEFT, right);
  const top = MARGIN.top;
  const bottom = top + rows.length * ROW;
  let body = ticks.map((t) => `<line class="grid" x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${top}" y2="${bottom}"/>`).join('');
  rows.forEach((r, i) => {
    const y0 = top + i * ROW + 6;
    const reclaimable = Math.min(Math.max(r.t.reclaimable, 0), r.t.size);
    const inUse = r.t.size - reclaimable;
    const title = `${r.name}: ${r.t.count} (${r.t.active} in use), ${formatBytes(r.t.size)}, ${formatBytes(reclaimable)} reclaimable`;
    body += `<g class="space-bar" data-kind="${r.key}" data-size="${r.t.size}" data-reclaimable="${r.t.reclaimable}"><title>${esc(title)}</title>`
      + label(LEFT - 6, y0 + 15, r.name, 'row-label', 'end')
      + (inUse > 0 ? `<rect class="seg-inuse" x="${LEFT}" y="${y0}" width="${n2(x(inUse) - LEFT)}" height="${ROW - 12}"/>` : '')
      + (reclaimable > 0 ? `<rect class="seg-reclaimable" x="${n2(x(inUse))}" y="${y0}" width="${n2(x(r.t.size) - x(inUse))}" height="${ROW - 12}"/>` : '')
      + label(Math.min(x(r.t.size) + 4, right - 2), y0 + 15, formatBytes(r.t.size), 'value-label', x(r.t.size) + 60 > right ? 'end' : 'start')
      + '</g>';
  });
  body += xAxis(ticks, x, bottom, (v) => formatBytes(v));
  const total = rows.reduce((s, r) => s + r.t.size, 0);
  const reclaim = rows.reduce((s, r) => s + Math.min(Math.max(r.t.reclaimable, 0), r.t.size), 0);
  const desc = `Docker uses ${formatBytes(total)}: ${rows.map((r) => `${r.name} ${formatBytes(r.t.size)}`).join(', ')}; ${formatBytes(reclaim)} of it is reclaimable.`;
  return svgChart({
    id: `${docId}-space`, kind: 'space', title: 'Where Docker\'s space goes', desc, height: bottom + MARGIN.bottom, body,
    legend: [{ cls: 'sw-inuse', label: 'in use' }, { cls: 'sw-reclaimable', label: 'reclaimable' }],
  });
}
