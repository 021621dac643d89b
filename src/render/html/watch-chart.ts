/**
 * A watch snapshot over time: the data-root device's IOPS and await, the burst-credit estimate (with its
 * bounds) and D-state tasks on one time axis, every finding raised or cleared marked and linked to the
 * findings list (issue 19).
 */
import type { WatchEvent, WatchReading } from '../../watch/watch.js';
import type { Finding } from '../../findings.js';
import { formatDuration } from '../format.js';
import { minMaxBuckets } from './downsample.js';
import { esc } from './escape.js';
import { findingAnchor } from './findings-html.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, xAxis, yAxis } from './svg-chart.js';

const PANEL_HEIGHT = 70;
const GAP = 24;

/** A reading placed on the time axis (ms since the first reading). */
interface Point {
  tMs: number;
  reading: WatchReading;
}

/** A finding event placed at the reading it was judged on, and the index of the raise it belongs to. */
export interface FindingMark {
  tMs: number;
  state: 'raised' | 'cleared';
  finding: Finding;
  /** Index into the document's findings (the raised ones); undefined for a clear whose raise is not in the snapshot. */
  findingIndex: number | undefined;
}

interface Panel {
  name: string;
  unit: (v: number) => string;
  value: (r: WatchReading) => number;
  cls: string;
  bars?: boolean;
  integer?: boolean;
}

const round = (v: number) => String(Math.round(v));

/** Compact credit counts: 5.4 M, 12 k. */
function credits(v: number): string {
  return v >= 1e6 ? `${Number((v / 1e6).toPrecision(3))} M` : v >= 1e3 ? `${Number((v / 1e3).toPrecision(3))} k` : round(v);
}

const PANELS: Panel[] = [
  { name: 'IOPS (read + write)', unit: round, value: (r) => r.sample.readIops + r.sample.writeIops, cls: 'series-iops' },
  { name: 'await (worst of read, write)', unit: (v) => formatDuration(v), value: (r) => Math.max(r.sample.readAwaitMs, r.sample.writeAwaitMs), cls: 'series-await' },
  { name: 'burst credits left (band: lower to upper bound)', unit: credits, value: (r) => r.credits?.creditsLeft ?? NaN, cls: 'series-credits' },
  { name: 'tasks in D state', unit: round, value: (r) => r.sample.blockedTasks, cls: 'series-dstate', bars: true, integer: true },
];

/** The readings on the time axis and the finding events at the reading they follow. */
export function watchTimeline(events: readonly WatchEvent[]): { points: Point[]; marks: FindingMark[] } {
  const points: Point[] = [];
  const marks: FindingMark[] = [];
  let t0: number | undefined;
  let lastT = 0;
  let raised = 0;
  const lastRaise = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'reading') {
      const t = Date.parse(e.reading.at);
      t0 ??= t;
      lastT = t - t0;
      points.push({ tMs: lastT, reading: e.reading });
    } else if (e.type === 'finding') {
      // findings are judged after each reading and printed after it: they happened at that reading
      const key = `${e.finding.id} ${e.finding.subject.id}`;
      let index: number | undefined;
      if (e.state === 'raised') {
        index = raised++;
        lastRaise.set(key, index);
      } else {
        index = lastRaise.get(key);
      }
      marks.push({ tMs: lastT, state: e.state, finding: e.finding, findingIndex: index });
    }
  }
  return { points, marks };
}

function linePath(points: Point[], value: (r: WatchReading) => number, x: (t: number) => number, y: (v: number) => number, plotWidth: number): string {
  const drawn = points.filter((p) => Number.isFinite(value(p.reading)));
  if (drawn.length <= plotWidth) {
    return `<polyline points="${drawn.map((p) => `${n2(x(p.tMs))},${n2(y(value(p.reading)))}`).join(' ')}"/>`
      + (drawn.length === 1 ? `<circle cx="${n2(x(drawn[0]!.tMs))}" cy="${n2(y(value(drawn[0]!.reading)))}" r="2.5"/>` : '');
  }
  // min/max per pixel column (issue 19): a day of readings in a few hundred pixels, no spike averaged away
  const buckets = minMaxBuckets(drawn, (p) => x(p.tMs), (p) => value(p.reading));
  const ranges = buckets.filter((b) => b.min !== b.max).map((b) => `M${b.px} ${n2(y(b.min))}V${n2(y(b.max))}`).join('');
  return `<polyline points="${buckets.map((b) => `${b.px},${n2(y(b.max))}`).join(' ')}"/>${ranges ? `<path class="range" d="${ranges}"/>` : ''}`;
}

function bars(points: Point[], value: (r: WatchReading) => number, x: (t: number) => number, y: (v: number) => number, base: number): string {
  return minMaxBuckets(points, (p) => x(p.tMs), (p) => value(p.reading)).filter((b) => b.max > 0)
    .map((b) => `<rect x="${b.px - 1}" y="${n2(y(b.max))}" width="2" height="${n2(base - y(b.max))}"/>`).join('');
}

/** The band between the credit estimate's lower and upper bounds. */
function creditBand(points: Point[], x: (t: number) => number, y: (v: number) => number): string {
  const withCredits = points.filter((p) => p.reading.credits);
  if (withCredits.length < 2) return '';
  const upper = withCredits.map((p) => `${n2(x(p.tMs))},${n2(y(p.reading.credits!.creditsUpperBound))}`);
  const lower = withCredits.map((p) => `${n2(x(p.tMs))},${n2(y(p.reading.credits!.creditsLowerBound))}`).reverse();
  return `<polygon class="credit-band" points="${[...upper, ...lower].join(' ')}"/>`;
}

/** What the last credit estimate says, in words: credits left, time to exhaustion and how sure it is. */
export function creditSummary(r: WatchReading | undefined): string {
  const c = r?.credits;
  if (!c) return 'no burst-credit estimate (no burst model ran)';
  const exhaustion = c.secondsToExhaustion === null ? 'not draining' : `empty in ${formatDuration(c.secondsToExhaustion * 1000)}`;
  return `${credits(c.creditsLeft)} of ${credits(c.bucketCredits)} credits left (${credits(c.creditsLowerBound)} to ${credits(c.creditsUpperBound)}), ${exhaustion}, confidence ${c.confidence}`;
}

/** The chart; `docId` is the page section's id, which the finding anchors start with. */
export function watchChart(events: readonly WatchEvent[], docId: string): string {
  const { points, marks } = watchTimeline(events);
  const left = MARGIN.left;
  const right = CHART_WIDTH - MARGIN.right;
  const plotWidth = right - left;
  const endMs = Math.max(maxValue(points.map((p) => p.tMs)), 1);
  const x = linear(0, endMs, left, right);
  const withCredits = points.some((p) => p.reading.credits);
  const panels = PANELS.filter((p) => p.cls !== 'series-credits' || withCredits);
  const top0 = MARGIN.top + 6;
  const bottom = top0 + panels.length * (PANEL_HEIGHT + GAP) - GAP;
  const height = bottom + MARGIN.bottom;

  let body = `<rect class="plot-bg" x="${left}" y="${top0}" width="${plotWidth}" height="${bottom - top0}"/>`;
  panels.forEach((p, k) => {
    const top = top0 + k * (PANEL_HEIGHT + GAP);
    const base = top + PANEL_HEIGHT;
    const max = p.cls === 'series-credits'
      ? maxValue(points.map((q) => q.reading.credits ? Math.max(q.reading.credits.creditsUpperBound, q.reading.credits.bucketCredits) : NaN))
      : maxValue(points.map((q) => p.value(q.reading)));
    const ticks = niceTicks(max || 1, 2, p.integer);
    const y = linear(0, ticks[ticks.length - 1]!, base, top);
    body += yAxis(ticks, y, left, right, p.unit);
    body += label(left + 4, top + 11, p.name, 'panel-label');
    // the last estimate in words beside its line: credits left, time to exhaustion, confidence
    if (p.cls === 'series-credits') body += label(left + 4, top + 24, `last: ${creditSummary(points[points.length - 1]?.reading)}`, 'panel-label');
    const drawn = p.cls === 'series-credits' ? creditBand(points, x, y) + linePath(points, p.value, x, y, plotWidth)
      : p.bars ? bars(points, p.value, x, y, base) : linePath(points, p.value, x, y, plotWidth);
    body += `<g class="series ${p.cls}" data-samples="${points.filter((q) => Number.isFinite(p.value(q.reading))).length}">${drawn}</g>`;
  });
  body += marks.map((m) => {
    const xm = n2(x(m.tMs));
    const mark = `<g class="finding-mark ${m.state}" data-finding-id="${esc(m.finding.id)}" data-state="${m.state}">`
      + `<title>${esc(`${m.state} at ${formatDuration(m.tMs)}: ${m.finding.severity} ${m.finding.title}`)}</title>`
      + `<line x1="${xm}" x2="${xm}" y1="${top0}" y2="${bottom}"/>`
      + (m.state === 'raised' ? `<path d="M${xm} ${top0}l-5 -6h10z"/>` : `<rect x="${n2(x(m.tMs) - 4)}" y="${top0 - 6}" width="8" height="6"/>`) + '</g>';
    return m.findingIndex === undefined ? mark : `<a href="#${findingAnchor(docId, m.findingIndex)}">${mark}</a>`;
  }).join('');
  const secTicks = niceTicks(endMs / 1000, 6).filter((t) => t * 1000 <= endMs * 1.001);
  body += xAxis(secTicks, (v) => x(v * 1000), bottom, (v) => `${v} s`);

  const readings = points.map((p) => p.reading);
  const raised = marks.filter((m) => m.state === 'raised').length;
  const desc = `${points.length} ${points.length === 1 ? 'reading' : 'readings'} over ${formatDuration(endMs)}: the device peaked at `
    + `${Math.round(maxValue(readings.map(PANELS[0]!.value)))} IOPS and ${formatDuration(maxValue(readings.map(PANELS[1]!.value)))} await, `
    + `with up to ${maxValue(readings.map(PANELS[3]!.value))} tasks in D state. Burst credits: ${creditSummary(readings[readings.length - 1])}. `
    + `${raised} ${raised === 1 ? 'finding' : 'findings'} raised and ${marks.length - raised} cleared, marked where they happened.`;
  return svgChart({
    id: `${docId}-watch`, kind: 'watch-timeline',
    title: `The data-root device over time: IOPS, await${withCredits ? ', burst credits' : ''} and D-state tasks, with findings marked`,
    desc, height, body,
    legend: [
      { cls: 'sw-iops', label: 'IOPS' }, { cls: 'sw-await', label: 'await' },
      ...(withCredits ? [{ cls: 'sw-credits', label: 'credits left (band: bounds)' }] : []),
      { cls: 'sw-dstate', label: 'D-state tasks' },
      { cls: 'sw-raised', label: 'finding raised (links to it)' }, { cls: 'sw-cleared', label: 'finding cleared' },
    ],
  });
}
