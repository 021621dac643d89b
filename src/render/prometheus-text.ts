/**
 * The Prometheus text exposition format (version 0.0.4): families with HELP and TYPE, label values
 * escaped, +Inf/NaN spelled as Prometheus reads them. Pure: a renderer of metric families as data.
 */

export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

export interface HistogramValue {
  labels?: Record<string, string>;
  /** Upper bounds, ascending, without +Inf; counts are cumulative per bound. */
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

export type MetricFamily =
  | { name: string; help: string; type: 'gauge' | 'counter'; samples: MetricSample[] }
  | { name: string; help: string; type: 'histogram'; histograms: HistogramValue[] };

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(labels: Record<string, string> | undefined, extra?: [string, string]): string {
  const entries = Object.entries(labels ?? {});
  if (extra) entries.push(extra);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
}

export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === 'histogram') {
      for (const h of f.histograms) {
        for (const b of h.buckets) lines.push(`${f.name}_bucket${labelText(h.labels, ['le', number(b.le)])} ${b.count}`);
        lines.push(`${f.name}_bucket${labelText(h.labels, ['le', '+Inf'])} ${h.count}`);
        lines.push(`${f.name}_sum${labelText(h.labels)} ${number(h.sum)}`, `${f.name}_count${labelText(h.labels)} ${h.count}`);
      }
    } else {
      for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${number(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
