/** The frame every chart shares: an accessible inline SVG (role, title, description), scales and axes. */
import { esc } from './escape.js';

/** Width of every chart's coordinate system; the SVG scales to its container (narrow screens, print). */
export const CHART_WIDTH = 720;
export const MARGIN = { left: 64, right: 28, top: 10, bottom: 26 };

export interface ChartSpec {
  /** Unique within the page; prefixes the title and description ids. */
  id: string;
  /** What kind of chart (`start-timeline`, `layer-bytes`…), for styles and tests. */
  kind: string;
  title: string;
  /** The chart's content in words, for screen readers and for whoever cannot see it. */
  desc: string;
  height: number;
  body: string;
  /** Legend entries: class name of the swatch and its label. */
  legend?: { cls: string; label: string }[];
}

export function svgChart(spec: ChartSpec): string {
  const t = `${spec.id}-title`;
  const d = `${spec.id}-desc`;
  const legend = spec.legend?.length
    ? `<ul class="legend">${spec.legend.map((l) => `<li><span class="swatch ${esc(l.cls)}"></span>${esc(l.label)}</li>`).join('')}</ul>`
    : '';
  return `<figure class="chart" id="${esc(spec.id)}">`
    + `<svg class="chart-svg" data-chart="${esc(spec.kind)}" viewBox="0 0 ${CHART_WIDTH} ${spec.height}" role="img" aria-labelledby="${t} ${d}" xmlns="http://www.w3.org/2000/svg">`
    + `<title id="${t}">${esc(spec.title)}</title><desc id="${d}">${esc(spec.desc)}</desc>${spec.body}</svg>`
    + `<figcaption>${esc(spec.title)}</figcaption>${legend}</figure>`;
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to r0. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** Round tick values from 0 up to at least `max`: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(max: number, count = 4, integer = false): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = integer ? Math.max(1, max / count) : max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Coordinates with two decimals at most: the page stays small and the drawing exact enough. */
export function n2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Horizontal grid lines with labels on the left for a y scale. */
export function yAxis(ticks: number[], y: (v: number) => number, x0: number, x1: number, label: (v: number) => string): string {
  return ticks.map((t) => `<g class="tick"><line x1="${x0}" x2="${x1}" y1="${n2(y(t))}" y2="${n2(y(t))}"/>`
    + `<text x="${x0 - 4}" y="${n2(y(t) + 3.5)}" text-anchor="end">${esc(t === 0 ? '0' : label(t))}</text></g>`).join('');
}

/** Tick marks with labels under a panel for an x scale. */
export function xAxis(ticks: number[], x: (v: number) => number, yBase: number, label: (v: number) => string): string {
  return ticks.map((t) => `<g class="tick"><line x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${yBase}" y2="${yBase + 4}"/>`
    + `<text x="${n2(x(t))}" y="${yBase + 15}" text-anchor="middle">${esc(t === 0 ? '0' : label(t))}</text></g>`).join('');
}

/** A text label inside the chart (panel names, axis units). */
export function label(x: number, y: number, text: string, cls = 'axis-label', anchor = 'start'): string {
  return `<text class="${cls}" x="${n2(x)}" y="${n2(y)}" text-anchor="${anchor}">${esc(text)}</text>`;
}

/** The largest of many values (no spread: a 10,000-start bench has 10,000 of them); `floor` when none. */
export function maxValue(values: Iterable<number>, floor = 0): number {
  let m = floor;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m;
}
