/**
 * bench start's timeline, the dashboard of real case 1: every start's latency against time, stalled starts
 * marked (each linked to its episode's finding), and the data-root device's IOPS, await and D-state tasks
 * under it on the same time axis.
 */
import type { StartBenchResult } from '../../bench/start-loop.js';
import { formatDuration } from '../format.js';
import { minMaxBuckets } from './downsample.js';
import { esc } from './escape.js';
import { findingAnchor } from './findings-html.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, xAxis, yAxis } from './svg-chart.js';

type Sample = NonNullable<StartBenchResult['samples']>[number];
type Iteration = NonNullable<StartBenchResult['iterations']>[number];

const LATENCY_HEIGHT = 170;
const GAP = 24;
const PANEL_HEIGHT = 64;

interface Panel {
  name: string;
  unit: (v: number) => string;
  value: (s: Sample) => number;
  cls: string;
  bars?: boolean;
  /** Whole numbers only (task counts). */
  integer?: boolean;
}

const PANELS: Panel[] = [
  { name: 'IOPS (read + write)', unit: (v) => String(Math.round(v)), value: (s) => s.readIops + s.writeIops, cls: 'series-iops' },
  { name: 'await (worst of read, write)', unit: (v) => formatDuration(v), value: (s) => Math.max(s.readAwaitMs, s.writeAwaitMs), cls: 'series-await' },
  { name: 'tasks in D state', unit: (v) => String(Math.round(v)), value: (s) => s.blockedTasks, cls: 'series-dstate', bars: true, integer: true },
];

/** Which finding each stalled start links to: episode k is the k-th bench/start-stall finding. */
function stallFindingIndex(r: StartBenchResult): Map<number, number> {
  const stallFindings = r.findings.map((f, i) => ({ f, i })).filter(({ f }) => f.id === 'bench/start-stall').map(({ i }) => i);
  const out = new Map<number, number>();
  (r.episodes ?? []).forEach((e, k) => {
    const fi = stallFindings[k];
    if (fi !== undefined) for (const run of e.runs) out.set(run, fi);
  });
  return out;
}

function seriesPath(samples: Sample[], value: (s: Sample) => number, x: (t: number) => number, y: (v: number) => number, plotWidth: number): string {
  if (samples.length <= plotWidth) {
    return `<polyline points="${samples.map((s) => `${n2(x(s.tMs))},${n2(y(value(s)))}`).join(' ')}"/>`;
  }
  const buckets = minMaxBuckets(samples, (s) => x(s.tMs), value);
  const top = buckets.map((b) => `${b.px},${n2(y(b.max))}`).join(' ');
  const ranges = buckets.filter((b) => b.min !== b.max).map((b) => `M${b.px} ${n2(y(b.min))}V${n2(y(b.max))}`).join('');
  return `<polyline points="${top}"/>${ranges ? `<path class="range" d="${ranges}"/>` : ''}`;
}

function seriesBars(samples: Sample[], value: (s: Sample) => number, x: (t: number) => number, y: (v: number) => number, base: number): string {
  const buckets = minMaxBuckets(samples, (s) => x(s.tMs), value).filter((b) => b.max > 0);
  return buckets.map((b) => `<rect x="${b.px - 1}" y="${n2(y(b.max))}" width="2" height="${n2(base - y(b.max))}"/>`).join('');
}

function runsHtml(runs: Iteration[], x: (t: number) => number, y: (v: number) => number, plotWidth: number): string {
  const ok = runs.filter((r) => !r.stall && !r.error);
  const failed = runs.filter((r) => r.error);
  let html = '';
  if (ok.length <= plotWidth) {
    html += `<g class="runs">${ok.map((r) => `<circle class="run" cx="${n2(x(r.startedMs))}" cy="${n2(y(r.totalMs))}" r="3"/>`).join('')}</g>`;
  } else {
    // min/max per pixel column (issue 19): thousands of starts in a few hundred pixels, no spike averaged away
    const buckets = minMaxBuckets(ok, (r) => x(r.startedMs), (r) => r.totalMs);
    html += `<path class="runs run-range" data-buckets="${buckets.length}" d="${buckets.map((b) => `M${b.px} ${n2(y(b.max) - 1)}V${n2(y(b.min) + 1)}`).join('')}"/>`;
  }
  html += failed.map((r) => `<g class="run-failed"><title>start ${r.index} failed: ${esc(r.error ?? '')}</title>`
    + `<path d="M${n2(x(r.startedMs) - 3)} ${n2(y(r.totalMs) - 3)}l6 6m0 -6l-6 6"/></g>`).join('');
  return html;
}

export function startTimelineChart(r: StartBenchResult, docId: string): string {
  const iterations = r.iterations ?? [];
  const samples = r.samples ?? [];
  const withSamples = samples.length > 0;
  const left = MARGIN.left;
  const right = CHART_WIDTH - MARGIN.right;
  const plotWidth = right - left;
  const endMs = Math.max(r.summary.wallMs ?? 0, maxValue(iterations.map((i) => i.startedMs + i.totalMs)), maxValue(samples.map((s) => s.tMs)), 1);
  const x = linear(0, endMs, left, right);
  const latTop = MARGIN.top;
  const latBase = latTop + LATENCY_HEIGHT;
  const maxLatency = maxValue(iterations.map((i) => i.totalMs), 1);
  const latTicks = niceTicks(maxLatency);
  const yLat = linear(0, latTicks[latTicks.length - 1]!, latBase, latTop);
  const height = latBase + (withSamples ? PANELS.length * (PANEL_HEIGHT + GAP) : 0) + MARGIN.bottom;
  const bottom = height - MARGIN.bottom;

  const links = stallFindingIndex(r);
  const byIndex = new Map(iterations.map((i) => [i.index, i]));
  const stalls = (r.stalls ?? []).map((s) => ({ s, it: byIndex.get(s.iteration) }));

  let body = `<rect class="plot-bg" x="${left}" y="${latTop}" width="${plotWidth}" height="${bottom - latTop}"/>`;
  // episodes: a band across every panel from the episode's first start to its last end
  body += (r.episodes ?? []).map((e) => `<rect class="episode-band" x="${n2(x(e.fromMs))}" y="${latTop}" width="${n2(Math.max(2, x(e.toMs) - x(e.fromMs)))}" height="${bottom - latTop}"/>`).join('');
  body += yAxis(latTicks, yLat, left, right, (v) => formatDuration(v));
  body += label(left + 4, latTop + 12, 'start latency (create + start + wait + remove)', 'panel-label');
  body += runsHtml(iterations, x, yLat, plotWidth);
  body += stalls.map(({ s, it }) => {
    const t0 = it?.startedMs ?? 0;
    const mark = `<g class="stall-mark" data-iteration="${s.iteration}"><title>start ${s.iteration} stalled: ${esc(formatDuration(s.durationMs))} against a median of ${esc(formatDuration(s.medianMs))} (${esc(s.cause)})</title>`
      + `<line x1="${n2(x(t0))}" x2="${n2(x(t0))}" y1="${latTop}" y2="${bottom}"/>`
      + `<circle cx="${n2(x(t0))}" cy="${n2(yLat(s.durationMs))}" r="4.5"/></g>`;
    const fi = links.get(s.iteration);
    return fi === undefined ? mark : `<a href="#${findingAnchor(docId, fi)}">${mark}</a>`;
  }).join('');

  if (withSamples) {
    PANELS.forEach((p, k) => {
      const top = latBase + GAP + k * (PANEL_HEIGHT + GAP);
      const base = top + PANEL_HEIGHT;
      const max = maxValue(samples.map(p.value));
      const ticks = niceTicks(max || 1, 2, p.integer);
      const y = linear(0, ticks[ticks.length - 1]!, base, top);
      body += yAxis(ticks, y, left, right, p.unit);
      body += label(left + 4, top + 11, p.name, 'panel-label');
      body += `<g class="series ${p.cls}" data-samples="${samples.length}">${p.bars ? seriesBars(samples, p.value, x, y, base) : seriesPath(samples, p.value, x, y, plotWidth)}</g>`;
    });
  }
  const secTicks = niceTicks(endMs / 1000, 6).filter((t) => t * 1000 <= endMs * 1.001);
  body += xAxis(secTicks, (v) => x(v * 1000), bottom, (v) => `${v} s`);

  const totals = r.summary.total;
  const maxOf = (f: (s: Sample) => number) => maxValue(samples.map(f));
  const desc = `${iterations.length} container starts over ${formatDuration(endMs)}; median ${formatDuration(totals.p50 ?? 0)}, p99 ${formatDuration(totals.p99 ?? 0)}, slowest ${formatDuration(totals.max ?? 0)}. `
    + `${stalls.length} stalled ${stalls.length === 1 ? 'start' : 'starts'} marked in ${(r.episodes ?? []).length} ${(r.episodes ?? []).length === 1 ? 'episode' : 'episodes'}. `
    + (withSamples
      ? `The data-root device peaked at ${Math.round(maxOf(PANELS[0]!.value))} IOPS and ${formatDuration(maxOf(PANELS[1]!.value))} await, with up to ${maxOf(PANELS[2]!.value)} tasks in D state.`
      : `No host samples: ${r.samplerNote ?? 'the sampler was off'}.`);
  return svgChart({
    id: `${docId}-timeline`, kind: 'start-timeline', title: `Start latency over time${withSamples ? ', with the data-root device\'s IOPS, await and D-state tasks' : ''}`,
    desc, height, body,
    legend: [{ cls: 'sw-run', label: 'start' }, { cls: 'sw-stall', label: 'stalled start (links to its finding)' }, { cls: 'sw-episode', label: 'stall episode' }],
  });
}
