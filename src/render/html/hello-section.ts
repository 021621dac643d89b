/** bench hello on the page: the registry and suite figures beside Slacker's, the per-image table, the timeline. */
import type { HelloBenchResult, HelloImageResult } from '../../bench/hello/hello-bench.js';
import { dataTable, factList, type Cell } from './data-table.js';
import { findingsSection } from './findings-html.js';
import { helloTimelineChart } from './hello-timeline-chart.js';

const pct = (v: number | undefined): Cell => ({ value: v === undefined ? undefined : v * 100, unit: '%' });

function startMs(r: HelloImageResult | undefined): number | undefined {
  return r?.pull && r.run ? r.pull.median + r.run.median : undefined;
}

export function benchHelloSection(r: HelloBenchResult, docId: string): string {
  const s = r.registry.shaping;
  const shaping = s ? [s.rateBitsPerSec ? `${s.rateBitsPerSec / 1e6} Mbit/s each way` : '', s.latencyMs ? `${s.latencyMs} ms round trip` : ''].filter(Boolean).join(', ') : '';
  let html = factList([
    ['registry', `${r.registry.address}${r.registry.startedByStowage ? ' (started by stowage)' : ''}`],
    ...(shaping ? [['registry traffic shaped to', shaping] as [string, Cell]] : []),
    ['repetitions', { value: r.repetitions }],
    ['images', { value: r.suite.images }],
    ['failed', { value: r.suite.failed }],
    ['pull share of start (Slacker: 76%)', pct(r.suite.pullShare)],
    ['read until ready (Slacker: 6.4%)', pct(r.suite.bytesReadShare)],
    ['flattened / layered start', { value: r.suite.flattenedStartRatio, unit: '×' }],
    ...(r.interrupted ? [['interrupted', 'yes: the figures cover the repetitions that completed'] as [string, Cell]] : []),
  ]);
  html += helloTimelineChart(r, docId);
  html += dataTable('Push, pull and run per image (medians)', ['image', 'variant', 'category', 'push', 'pull', 'run', 'pull share', 'pulled', 'image', 'read until ready', 'read share', 'flat / layered'],
    r.images.map((i) => {
      const layered = r.images.find((l) => l.variant === 'layered' && l.name === i.name);
      const ratio = i.variant === 'flattened' && startMs(i) !== undefined && startMs(layered) ? startMs(i)! / startMs(layered)! : undefined;
      return [i.name, i.variant, i.category ?? '', i.error ? `failed: ${i.error}` : { value: i.push?.median, unit: 'ms' }, { value: i.pull?.median, unit: 'ms' }, { value: i.run?.median, unit: 'ms' },
        pct(i.pullShare), { value: i.pulledBytes, unit: 'bytes' }, { value: i.imageBytes, unit: 'bytes' }, { value: i.bytesRead?.bytes, unit: 'bytes' }, pct(i.bytesRead?.share),
        { value: ratio, unit: '×' }];
    }), 'hello');
  return html + findingsSection(docId, r.findings);
}
