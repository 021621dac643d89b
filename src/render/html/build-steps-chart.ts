/** bench build's step durations: one bar per step in build order, cached steps told apart, slow steps linked to their finding. */
import type { BuildRun } from '../../bench/build-bench.js';
import type { Finding } from '../../findings.js';
import { formatDuration } from '../format.js';
import { esc } from './escape.js';
import { findingAnchor } from './findings-html.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, xAxis } from './svg-chart.js';

const ROW = 30;

/** The steps a chart shows: the Dockerfile's own (BuildKit's internal ones such as loading the context are left out). */
function chartedSteps(run: BuildRun): (BuildRun['steps'][number] & { durationMs: number })[] {
  return run.steps.filter((s): s is BuildRun['steps'][number] & { durationMs: number } => !s.internal && typeof s.durationMs === 'number');
}

export function buildStepsChart(run: BuildRun, findings: readonly Finding[], docId: string, runIndex: number): string {
  const steps = chartedSteps(run);
  const left = MARGIN.left;
  const right = CHART_WIDTH - MARGIN.right;
  const ticks = niceTicks(maxValue(steps.map((s) => s.durationMs), 1), 5);
  const x = linear(0, ticks[ticks.length - 1]!, left, right);
  const top = MARGIN.top;
  const bottom = top + Math.max(steps.length, 1) * ROW;
  const slow = new Map<string, number>();
  findings.forEach((f, i) => {
    const step = f.id === 'bench/slow-build-step' ? f.evidence.find((e) => e.label === 'step')?.value : undefined;
    if (typeof step === 'string' && !slow.has(step)) slow.set(step, i);
  });
  let body = ticks.map((t) => `<line class="grid" x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${top}" y2="${bottom}"/>`).join('');
  steps.forEach((s, i) => {
    const y0 = top + i * ROW;
    const name = s.name.replace(/\s+/g, ' ');
    const shown = name.length > 96 ? `${name.slice(0, 95)}…` : name;
    const bar = `<g class="step-bar${s.cached ? ' cached' : ''}" data-duration="${s.durationMs}"><title>${esc(`${name}: ${formatDuration(s.durationMs)}${s.cached ? ' (cached)' : ''}`)}</title>`
      + label(left, y0 + 11, shown, 'step-label')
      + `<rect x="${left}" y="${y0 + 14}" width="${n2(Math.max(1, x(s.durationMs) - left))}" height="12"/>`
      + label(Math.min(x(s.durationMs) + 4, right), y0 + 24, formatDuration(s.durationMs), 'value-label', x(s.durationMs) + 50 > right ? 'end' : 'start')
      + '</g>';
    const fi = slow.get(s.name);
    body += fi === undefined ? bar : `<a href="#${findingAnchor(docId, fi)}">${bar}</a>`;
  });
  body += xAxis(ticks, x, bottom, (v) => formatDuration(v));
  const longest = [...steps].sort((a, b) => b.durationMs - a.durationMs)[0];
  const desc = `${steps.length} build steps of ${run.dockerfile} in ${formatDuration(run.totalMs)} (${run.rating})`
    + (longest ? `; the longest is ${longest.name.replace(/\s+/g, ' ').slice(0, 100)} at ${formatDuration(longest.durationMs)}.` : '.');
  return svgChart({
    id: `${docId}-steps-${runIndex}`, kind: 'build-steps', title: `Build step durations: ${run.dockerfile}`, desc, height: bottom + MARGIN.bottom, body,
    legend: [{ cls: 'sw-step', label: 'step' }, { cls: 'sw-cached', label: 'cached step' }],
  });
}
