/**
 * bench hello's timeline: one row per image and variant, each repetition's push, pull and run drawn from the
 * moment its push began (`atMs`, since the bench started). The three phases are drawn back to back; the short
 * steps between them (removing the image, tagging) are not timed and are left out.
 */
import type { HelloBenchResult } from '../../bench/hello/hello-bench.js';
import { formatDuration } from '../format.js';
import { esc } from './escape.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, xAxis } from './svg-chart.js';

const ROW = 30;
const LABEL_WIDTH = 150;

export function helloTimelineChart(r: HelloBenchResult, docId: string): string {
  const rows = r.images.filter((i) => i.runs.length);
  const end = maxValue(rows.flatMap((i) => i.runs.map((x) => x.atMs + x.pushMs + x.pullMs + x.runMs)), 1);
  const left = MARGIN.left + LABEL_WIDTH - 40;
  const right = CHART_WIDTH - MARGIN.right;
  const ticks = niceTicks(end, 6);
  const x = linear(0, ticks[ticks.length - 1]!, left, right);
  const top = MARGIN.top;
  const bottom = top + Math.max(rows.length, 1) * ROW;
  let body = ticks.map((t) => `<line class="grid" x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${top}" y2="${bottom}"/>`).join('');
  rows.forEach((img, i) => {
    const y0 = top + i * ROW;
    const name = `${img.name}${img.variant === 'flattened' ? ' (flat)' : ''}`;
    body += label(4, y0 + 19, name.length > 24 ? `${name.slice(0, 23)}…` : name, 'step-label');
    for (const run of img.runs) {
      const phases = [['push', run.atMs, run.pushMs], ['pull', run.atMs + run.pushMs, run.pullMs], ['run', run.atMs + run.pushMs + run.pullMs, run.runMs]] as const;
      body += `<g class="hello-run" data-image="${esc(img.name)}" data-variant="${esc(img.variant)}" data-repetition="${run.repetition}" data-at="${run.atMs}"`
        + ` data-push="${run.pushMs}" data-pull="${run.pullMs}" data-run="${run.runMs}">`
        + `<title>${esc(`${name}, repetition ${run.repetition}: push ${formatDuration(run.pushMs)}, pull ${formatDuration(run.pullMs)}, run ${formatDuration(run.runMs)}`)}</title>`
        + phases.map(([cls, from, ms]) => `<rect class="seg-${cls}" x="${n2(x(from))}" y="${y0 + 8}" width="${n2(Math.max(0.5, x(from + ms) - x(from)))}" height="16"/>`).join('')
        + '</g>';
    }
  });
  body += xAxis(ticks, x, bottom, (v) => formatDuration(v));
  const totalRuns = rows.reduce((a, i) => a + i.runs.length, 0);
  const desc = `${totalRuns} repetitions of ${rows.length} images and variants over ${formatDuration(end)}: each drawn as its push, pull and run to ready,`
    + ` from when its push began. Pull is ${r.suite.pullShare === undefined ? 'not measured' : `${(r.suite.pullShare * 100).toFixed(1)}%`} of pull + run over the layered images.`;
  return svgChart({
    id: `${docId}-hello-timeline`, kind: 'hello-timeline', title: 'bench hello timeline: push, pull and run of every repetition', desc, height: bottom + MARGIN.bottom, body,
    legend: [{ cls: 'sw-push', label: 'push' }, { cls: 'sw-pull', label: 'pull' }, { cls: 'sw-run', label: 'run until ready' }],
  });
}
