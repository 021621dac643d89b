/**
 * analyze's pictures: each layer's content bytes stacked as kept, wasted (never reaches the final filesystem)
 * and metadata-only copies (chown/chmod copy-ups), and the depth profile (where the final bytes sit).
 */
import type { AnalyzeResult } from '../../analyze/analyze-image.js';
import type { LayerReport } from '../../analyze/layer-analysis.js';
import { formatBytes } from '../format.js';
import { esc } from './escape.js';
import { findingAnchor } from './findings-html.js';
import { CHART_WIDTH, MARGIN, label, linear, maxValue, n2, niceTicks, svgChart, yAxis } from './svg-chart.js';

const PLOT_HEIGHT = 180;

/** The three stacked parts of a layer's bytes; they sum to its content bytes. */
function layerParts(l: LayerReport): { kept: number; wasted: number; metadataOnly: number } {
  const wasted = Math.min(l.wastedBytes, l.bytes);
  const metadataOnly = Math.min(l.metadataOnly.bytes, l.bytes - wasted);
  return { kept: l.bytes - wasted - metadataOnly, wasted, metadataOnly };
}

/** The first finding about each layer (subject `REF layer N`), for the bar's link. */
function layerFindings(r: AnalyzeResult): Map<number, number> {
  const out = new Map<number, number>();
  r.findings.forEach((f, i) => {
    const m = f.subject.kind === 'layer' ? / layer (\d+)$/.exec(f.subject.id) : null;
    if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), i);
  });
  return out;
}

function oneLine(s: string, n: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function columns(count: number): { x: (i: number) => number; width: number } {
  const left = MARGIN.left;
  const slot = (CHART_WIDTH - MARGIN.right - left) / Math.max(count, 1);
  return { x: (i) => left + i * slot + slot * 0.1, width: Math.max(1, slot * 0.8) };
}

export function layerBytesChart(r: AnalyzeResult, docId: string): string {
  const layers = r.layers;
  const top = MARGIN.top;
  const base = top + PLOT_HEIGHT;
  const ticks = niceTicks(maxValue(layers.map((l) => l.bytes), 1));
  const y = linear(0, ticks[ticks.length - 1]!, base, top);
  const { x, width } = columns(layers.length);
  const links = layerFindings(r);
  let body = yAxis(ticks, y, MARGIN.left, CHART_WIDTH - MARGIN.right, (v) => formatBytes(v));
  for (const l of layers) {
    const p = layerParts(l);
    let yy = base;
    const seg = (cls: string, bytes: number) => {
      const h = base - y(bytes);
      yy -= h;
      return bytes > 0 ? `<rect class="${cls}" x="${n2(x(l.index))}" y="${n2(yy)}" width="${n2(width)}" height="${n2(h)}"/>` : '';
    };
    const title = `layer ${l.index}: ${oneLine(l.instruction, 120)}: ${formatBytes(l.bytes)} of content, ${formatBytes(p.wasted)} wasted, ${formatBytes(p.metadataOnly)} metadata-only copies`;
    const bar = `<g class="layer-bar" data-layer="${l.index}" data-bytes="${l.bytes}"><title>${esc(title)}</title>`
      + `<rect class="hit" x="${n2(x(l.index))}" y="${top}" width="${n2(width)}" height="${PLOT_HEIGHT}"/>`
      + `${seg('seg-kept', p.kept)}${seg('seg-wasted', p.wasted)}${seg('seg-metadata', p.metadataOnly)}</g>`;
    const fi = links.get(l.index);
    body += fi === undefined ? bar : `<a href="#${findingAnchor(docId, fi)}">${bar}</a>`;
  }
  const every = Math.ceil(layers.length / 24);
  body += layers.filter((l) => l.index % every === 0).map((l) => label(x(l.index) + width / 2, base + 14, String(l.index), 'tick-label', 'middle')).join('');
  body += label(MARGIN.left, base + 24, 'layer (0 is the bottom)', 'axis-label');
  const t = r.totals;
  const biggest = [...layers].sort((a, b) => b.bytes - a.bytes)[0];
  const desc = `${layers.length} layers holding ${formatBytes(t.bytes)} of content; ${formatBytes(t.wastedBytes)} wasted and ${formatBytes(t.metadataOnlyBytes)} in metadata-only copies.`
    + (biggest ? ` The largest is layer ${biggest.index} (${formatBytes(biggest.bytes)}): ${oneLine(biggest.instruction, 80)}.` : '');
  return svgChart({
    id: `${docId}-layers`, kind: 'layer-bytes', title: 'Content bytes per layer: kept, wasted and metadata-only', desc, height: base + 30, body,
    legend: [{ cls: 'sw-kept', label: 'kept in the final filesystem' }, { cls: 'sw-wasted', label: 'wasted (overwritten or deleted later)' }, { cls: 'sw-metadata', label: 'metadata-only copy (chown/chmod copy-up)' }],
  });
}

export function depthProfileChart(r: AnalyzeResult, docId: string): string {
  const rows = [...r.depthProfile].sort((a, b) => a.depthFromTop - b.depthFromTop);
  const top = MARGIN.top;
  const base = top + 120;
  const ticks = niceTicks(maxValue(rows.map((d) => d.share * 100), 1));
  const y = linear(0, ticks[ticks.length - 1]!, base, top);
  const { x, width } = columns(rows.length);
  let body = yAxis(ticks, y, MARGIN.left, CHART_WIDTH - MARGIN.right, (v) => `${v}%`);
  rows.forEach((d, i) => {
    body += `<g class="depth-bar" data-layer="${d.layer}" data-share="${d.share}"><title>${esc(`depth ${d.depthFromTop} from the top (layer ${d.layer}): ${formatBytes(d.bytes)}, ${(d.share * 100).toFixed(1)}% of the final bytes`)}</title>`
      + `<rect x="${n2(x(i))}" y="${n2(y(d.share * 100))}" width="${n2(width)}" height="${n2(base - y(d.share * 100))}"/></g>`;
  });
  const every = Math.ceil(rows.length / 24);
  body += rows.map((d, i) => (i % every === 0 ? label(x(i) + width / 2, base + 14, String(d.depthFromTop), 'tick-label', 'middle') : '')).join('');
  body += label(MARGIN.left, base + 24, 'depth from the top layer (1 is the top)', 'axis-label');
  const deep = rows.filter((d) => d.depthFromTop > 1).reduce((s, d) => s + d.share, 0);
  const desc = `Share of the final filesystem's bytes by the depth of the layer that holds them: ${(rows[0]?.share ?? 0) * 100 > 0 ? `${((rows[0]?.share ?? 0) * 100).toFixed(1)}% in the top layer, ` : ''}${(deep * 100).toFixed(1)}% below it.`;
  return svgChart({ id: `${docId}-depth`, kind: 'depth-profile', title: 'Depth profile: final bytes by layer depth', desc, height: base + 30, body });
}
