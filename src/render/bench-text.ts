/** bench's text reports: the phase table and slowest stalls of `start`, the steps of `build`, the tests of `disk`. */
import { PHASES, type StartBenchResult } from '../bench/start-loop.js';
import type { StallEpisode } from '../measure/stall-episodes.js';
import { describeRating, type BuildBenchResult } from '../bench/build-bench.js';
import type { DiskBenchResult } from '../bench/disk-bench.js';
import { sortFindings } from '../findings.js';
import type { Distribution } from '../stats.js';
import { renderFindings } from './findings-text.js';
import { count, formatBytes, formatDuration } from './format.js';
import type { Style } from './style.js';

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A plain-text table; columns from `rightFrom` up to (not including) `rightTo` are right-aligned. */
function table(rows: string[][], rightFrom = 1, rightTo = Infinity): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => pad(c, widths[i]!, i >= rightFrom && i < rightTo)).join('  ').trimEnd()).join('\n');
}

function distRow(name: string, d: Distribution): string[] {
  return [name, ...[d.p50, d.p90, d.p99, d.max, d.mean].map((v) => (Number.isFinite(v) ? formatDuration(v) : '-'))];
}

const MAX_STALLS_SHOWN = 5;

/** Time an episode's stalls cost: its starts times their median. */
const cost = (e: StallEpisode | undefined) => (e ? e.medianDurationMs * e.runs.length : 0);

export function renderStartText(r: StartBenchResult, style: Style): string {
  const s = r.summary;
  const lines: string[] = [];
  lines.push(style.bold(`bench start: ${count(s.iterations, 'container')} of ${r.image}${r.cmd ? ` (${r.cmd.join(' ')})` : ''}, concurrency ${r.concurrency}, ${formatDuration(s.wallMs)}`));
  if (r.device) {
    lines.push(`data-root ${r.device.dataRoot} on ${r.device.chain ?? r.device.device ?? 'no block device'}${r.device.fsType ? ` (${r.device.fsType})` : ''}`);
  }
  if (r.samplerNote) lines.push(style.dim(r.samplerNote));
  lines.push('');
  lines.push(table([['phase', 'p50', 'p90', 'p99', 'max', 'mean'],
    ...PHASES.map((p) => distRow(p, s.phases[p])), distRow('total', s.total)]));
  lines.push('');
  lines.push(`containers/min: ${s.containersPerMinute.toFixed(1)}   failed: ${s.failed}   stalls: ${s.stalls} (over ${r.stallOptions.factor}x the rolling median)`
    + `${r.episodes.length && r.episodes.length < s.stalls ? ` in ${count(r.episodes.length, 'episode')}` : ''}`);
  if (r.interrupted) lines.push(style.dim('interrupted (Ctrl-C): the figures cover the starts that completed'));
  const host = r.host;
  if (host) {
    lines.push(`host: ${host.device ? `${host.device} mean ${Math.round(host.iops)} IOPS, max await ${host.writeAwaitMs >= host.readAwaitMs ? host.writeAwaitMs.toFixed(1) : host.readAwaitMs.toFixed(1)} ms, max util ${host.utilPercent.toFixed(0)}%, ` : ''}`
      + `max iowait ${host.iowaitPercent.toFixed(1)}%, max D-state tasks ${host.blockedTasks} (${count(r.sampleCount, 'sample')})`);
  }
  if (r.burst) lines.push(`burst: ${r.burst.basis}`);
  // the episodes that cost the most in full; the rest are in --json and --out
  // stall findings come in the order of r.episodes, whose records carry the durations to rank them by
  const stalls = r.findings.filter((f) => f.id === 'bench/start-stall')
    .map((finding, i) => ({ finding, e: r.episodes[i] }))
    .sort((a, b) => cost(b.e) - cost(a.e))
    .map((s) => s.finding);
  const shown = [...r.findings.filter((f) => f.id !== 'bench/start-stall'), ...stalls.slice(0, MAX_STALLS_SHOWN)];
  if (shown.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(shown), style));
  }
  if (stalls.length > MAX_STALLS_SHOWN) {
    lines.push('');
    lines.push(style.dim(`… and ${count(stalls.length - MAX_STALLS_SHOWN, 'more stall episode', 'more stall episodes')} (all of them in --json and --out)`));
  }
  return lines.join('\n');
}

export function renderBuildText(r: BuildBenchResult, style: Style): string {
  const lines: string[] = [];
  for (const run of r.runs) {
    if (lines.length) lines.push('');
    lines.push(style.bold(`bench build: ${run.dockerfile} in ${formatDuration(run.totalMs)}: ${describeRating(run.rating, r.thresholds)}`));
    lines.push(`builder: ${run.builderNote}`);
    lines.push(`image: ${formatBytes(run.imageSize)}, ${count(run.layers, 'layer')}${run.dataRootGrowth !== undefined ? `, data-root grew ${formatBytes(run.dataRootGrowth)}` : ''}${run.kept ? `, kept as ${run.tag}` : ''}`);
    if (run.cacheRemoved) lines.push(style.dim(`cold build: its ${count(run.cacheRemoved.records, 'build-cache record')} removed (${formatBytes(run.cacheRemoved.bytes)})`));
    lines.push('');
    const steps = run.steps.filter((s) => !s.internal);
    lines.push(table([['step', 'time', 'share', ''], ...steps.map((s) => [
      s.name.length > 70 ? `${s.name.slice(0, 67)}...` : s.name,
      s.durationMs === undefined ? '-' : formatDuration(s.durationMs),
      s.durationMs === undefined ? '' : `${Math.round((s.durationMs / run.totalMs) * 100)}%`,
      s.cached ? 'cached' : '',
    ])], 1, 3));
  }
  if (r.comparison && r.runs.length === 2) {
    const [a, b] = r.runs as [BuildBenchResult['runs'][0], BuildBenchResult['runs'][0]];
    lines.push('');
    lines.push(style.bold('comparison'));
    lines.push(table([
      ['', 'time', 'image size', 'layers'],
      [a.dockerfile, formatDuration(a.totalMs), formatBytes(a.imageSize), String(a.layers)],
      [b.dockerfile, formatDuration(b.totalMs), formatBytes(b.imageSize), String(b.layers)],
      ['second / first', `${r.comparison.timeRatio.toFixed(2)}x`, `${r.comparison.sizeRatio.toFixed(2)}x`, `${r.comparison.layerDelta >= 0 ? '+' : ''}${r.comparison.layerDelta}`],
    ]));
  }
  const notable = r.findings.filter((f) => f.id !== 'bench/build-time');
  if (notable.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(notable), style));
  }
  return lines.join('\n');
}

const rate = (bytesPerSec: number) => `${formatBytes(bytesPerSec)}/s`;

/** One direction for every row: "2.10x slower", "1.30x faster", or "same" within 5%. */
export function slowerText(factor: number): string {
  if (!Number.isFinite(factor) || factor <= 0) return '-';
  if (Math.abs(factor - 1) < 0.05) return 'same';
  return factor > 1 ? `${factor.toFixed(2)}x slower` : `${(1 / factor).toFixed(2)}x faster`;
}

/**
 * dd's start-up as measured; timed by arrival (no /proc/self/sched), a batched stream can make it read 0,
 * which is no measurement: say so rather than print `0 µs` (issue 20).
 */
function ddStartUp(side: { clock: 'in-probe' | 'arrival'; ddOverheadMs: number }): string {
  return side.clock === 'arrival' && side.ddOverheadMs <= 0 ? 'not measured' : formatDuration(side.ddOverheadMs);
}

export function renderDiskText(r: DiskBenchResult, style: Style): string {
  const lines: string[] = [];
  // the block size in decimal units, as every other size on the screen (issue 20)
  const sync = `sync write ${formatBytes(r.syncWrite.blockBytes)}`;
  lines.push(style.bold(`bench disk: ${r.path}${r.device.chain ? ` on ${r.device.chain}` : ''}${r.device.fsType ? ` (${r.device.fsType})` : ''}`));
  lines.push(`ran: ${r.toolDetail}`);
  lines.push('');
  lines.push(table([
    ['test', 'result', 'detail'],
    [`${sync} p50`, formatDuration(r.syncWrite.p50Ms), `${count(r.syncWrite.writes, 'write')}, ${rate(r.syncWrite.bytesPerSec)}`],
    [`${sync} p99`, formatDuration(r.syncWrite.p99Ms), `max ${formatDuration(r.syncWrite.maxMs)}${r.syncWrite.percentiles === 'fio-bins-clamped' ? ' (fio\'s binned percentiles, at most the max)' : ''}`],
    ['4k random write', `${Math.round(r.randomWrite.iops)} IOPS`, r.randomWrite.method],
    ['sequential write', rate(r.sequentialWrite.bytesPerSec), r.sequentialWrite.method],
  ], 1, 2));
  const c = r.comparison;
  if (c) {
    lines.push('');
    lines.push(style.bold(`host vs container (${c.image}${c.writeLimit ? `, limited to ${c.writeLimit.rate} write IOPS on ${c.writeLimit.path}` : ''}; ${c.method})`));
    if (c.upperDir) lines.push(style.dim(`container writes landed in ${c.upperDir}`));
    lines.push(table([
      ['test', 'host', 'container', 'inside vs host'],
      [`${sync} p50`, formatDuration(c.host.syncWrite.p50Ms), formatDuration(c.container.syncWrite.p50Ms), slowerText(c.slowerBy.syncP50)],
      [`${sync} p99`, formatDuration(c.host.syncWrite.p99Ms), formatDuration(c.container.syncWrite.p99Ms), slowerText(c.slowerBy.syncP99)],
      ["4k fsync'd writes/s", String(Math.round(c.host.smallWritesPerSec)), String(Math.round(c.container.smallWritesPerSec)), slowerText(c.slowerBy.smallWrites)],
      ['sequential write', rate(c.host.sequentialBytesPerSec), rate(c.container.sequentialBytesPerSec), slowerText(c.slowerBy.sequential)],
      ['dd start-up (taken off)', ddStartUp(c.host), ddStartUp(c.container), ''],
    ]));
  }
  if (r.findings.length) {
    lines.push('');
    lines.push(renderFindings(sortFindings(r.findings), style));
  }
  return lines.join('\n');
}
