/** bench start, disk and build on the page: the timeline, the disk's figures, the build's step durations. */
import type { BuildBenchResult } from '../../bench/build-bench.js';
import type { DiskBenchResult } from '../../bench/disk-bench.js';
import type { StartBenchResult } from '../../bench/start-loop.js';
import { buildStepsChart } from './build-steps-chart.js';
import { dataTable, factList, type Cell } from './data-table.js';
import { esc } from './escape.js';
import { findingsSection } from './findings-html.js';
import { startTimelineChart } from './start-timeline-chart.js';

export function benchStartSection(r: StartBenchResult, docId: string): string {
  const s = r.summary;
  let html = factList([
    ['image', r.image],
    ...(r.cmd?.length ? [['command', r.cmd.join(' ')] as [string, Cell]] : []),
    ['concurrency', { value: r.concurrency }],
    ['data-root device', r.device ? `${r.device.device ?? 'none'}${r.device.fsType ? ` (${r.device.fsType})` : ''} under ${r.device.dataRoot}` : '–'],
    ['starts', { value: s.iterations }],
    ['failed', { value: s.failed }],
    ['stalled', { value: s.stalls }],
    ['containers per minute', { value: s.containersPerMinute }],
    ...(r.interrupted ? [['interrupted', 'yes: the figures cover the starts that completed'] as [string, Cell]] : []),
  ]);
  html += r.iterations?.length
    ? startTimelineChart(r, docId)
    : '<p class="note timeline-missing">No timeline: a <code>--json</code> document of bench start carries no per-start rows. '
      + 'Render the <code>timeline.json</code> that <code>stowage bench start --out DIR</code> writes for the chart of every start against the disk\'s IOPS, await and D-state tasks.</p>';
  const dist = (name: string, d: StartBenchResult['summary']['total']): Cell[] => [name, { value: d.p50, unit: 'ms' }, { value: d.p90, unit: 'ms' }, { value: d.p99, unit: 'ms' }, { value: d.min, unit: 'ms' }, { value: d.max, unit: 'ms' }, { value: d.mean, unit: 'ms' }];
  html += dataTable('Start latency', ['phase', 'p50', 'p90', 'p99', 'min', 'max', 'mean'],
    [dist('total', s.total), ...Object.entries(s.phases).map(([k, d]) => dist(k, d))], 'latency');
  if (r.episodes.length) {
    html += dataTable('Stall episodes', ['starts', 'from', 'to', 'median', 'slowest', 'baseline', 'cause'],
      r.episodes.map((e) => [e.first === e.last ? `#${e.first}` : `#${e.first}–#${e.last}`, { value: e.fromMs / 1000, unit: 's' }, { value: e.toMs / 1000, unit: 's' },
        { value: e.medianDurationMs, unit: 'ms' }, { value: e.maxDurationMs, unit: 'ms' }, { value: e.baselineMs, unit: 'ms' }, e.cause]), 'episodes');
  }
  if (r.burst) html += `<p class="note">${esc(`Burst credits (${r.burst.model}): ${Math.round(r.burst.creditsLeft)} left, ${Math.round(r.burst.creditsSpent)} spent at a mean of ${Math.round(r.burst.meanIops)} IOPS.`)}</p>`;
  return html + findingsSection(docId, r.findings);
}

export function benchDiskSection(r: DiskBenchResult, docId: string): string {
  let html = factList([
    ['path', r.path],
    ['device', `${r.device.device ?? '–'}${r.device.fsType ? ` (${r.device.fsType})` : ''}`],
    ['tool', r.toolDetail || r.tool],
  ]);
  html += dataTable('Disk figures', ['probe', 'figure', 'p99', 'max'], [
    [`sync writes (${r.syncWrite.writes} × ${r.syncWrite.blockBytes} bytes)`, { value: r.syncWrite.p50Ms, unit: 'ms' }, { value: r.syncWrite.p99Ms, unit: 'ms' }, { value: r.syncWrite.maxMs, unit: 'ms' }],
    [`random writes (${r.randomWrite.blockBytes} bytes)`, { value: r.randomWrite.iops, unit: 'IOPS' }, '', ''],
    ['sequential writes', { value: r.sequentialWrite.bytesPerSec, unit: 'bytes/s' }, '', ''],
  ], 'disk');
  const c = r.comparison;
  if (c) {
    html += dataTable(`Host against a container of ${c.image}`, ['figure', 'host', 'container', 'slower inside by'], [
      ['sync write p50', { value: c.host.syncWrite.p50Ms, unit: 'ms' }, { value: c.container.syncWrite.p50Ms, unit: 'ms' }, { value: c.slowerBy.syncP50, unit: '×' }],
      ['sync write p99', { value: c.host.syncWrite.p99Ms, unit: 'ms' }, { value: c.container.syncWrite.p99Ms, unit: 'ms' }, { value: c.slowerBy.syncP99, unit: '×' }],
      ['small writes', { value: c.host.smallWritesPerSec, unit: '/s' }, { value: c.container.smallWritesPerSec, unit: '/s' }, { value: c.slowerBy.smallWrites, unit: '×' }],
      ['sequential', { value: c.host.sequentialBytesPerSec, unit: 'bytes/s' }, { value: c.container.sequentialBytesPerSec, unit: 'bytes/s' }, { value: c.slowerBy.sequential, unit: '×' }],
    ], 'comparison');
  }
  return html + findingsSection(docId, r.findings);
}

export function benchBuildSection(r: BuildBenchResult, docId: string): string {
  let html = dataTable('Builds', ['Dockerfile', 'builder', 'time', 'rating', 'image size', 'layers', 'data-root growth'],
    r.runs.map((run) => [run.dockerfile, run.builder, { value: run.totalMs, unit: 'ms' }, run.rating, { value: run.imageSize, unit: 'bytes' }, { value: run.layers },
      { value: run.dataRootGrowth, unit: 'bytes' }]), 'builds');
  r.runs.forEach((run, i) => { html += buildStepsChart(run, r.findings, docId, i); });
  if (r.comparison) {
    html += factList([['time ratio', { value: r.comparison.timeRatio, unit: '×' }], ['size ratio', { value: r.comparison.sizeRatio, unit: '×' }], ['layer difference', { value: r.comparison.layerDelta }]]);
  }
  return html + findingsSection(docId, r.findings);
}
