/** `bench hello`'s table: per image push, pull, run, pull share and bytes read, then the suite's figures beside Slacker's. */
import type { HelloBenchResult, HelloImageResult, Spread } from '../bench/hello/hello-bench.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';
import { renderFindings } from './findings-text.js';
import type { Style } from './style.js';

const d = (s: Spread | undefined) => (s ? formatDuration(s.median) : '-');
const range = (s: Spread | undefined) => (s ? `${formatDuration(s.min)}-${formatDuration(s.max)}` : '');
const pct = (v: number | undefined) => (v === undefined ? '-' : formatPercent(v * 100));

function row(r: HelloImageResult, layered: HelloImageResult | undefined): string[] {
  const start = r.pull && r.run ? r.pull.median + r.run.median : undefined;
  const base = layered?.pull && layered.run ? layered.pull.median + layered.run.median : undefined;
  return [
    r.variant === 'flattened' ? `${r.name} (flat)` : r.name,
    r.category ?? '',
    r.error ? 'FAILED' : d(r.push),
    d(r.pull), range(r.pull),
    d(r.run), range(r.run),
    pct(r.pullShare),
    r.bytesRead ? `${pct(r.bytesRead.share)} of ${formatBytes(r.bytesRead.imageBytes)}` : '-',
    r.variant === 'flattened' && start !== undefined && base ? `${(start / base).toFixed(2)}x` : '',
  ];
}

export function renderHelloText(result: HelloBenchResult, style: Style): string {
  const header = ['image', 'category', 'push', 'pull', 'pull range', 'run', 'run range', 'pull share', 'read until ready', 'flat/layered'];
  const rows = result.images.map((r) => row(r, result.images.find((l) => l.variant === 'layered' && l.name === r.name)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [
    `bench hello: ${result.images.length} runs, ${result.repetitions} repetitions each, registry ${result.registry.address}${result.registry.startedByStowage ? ' (started by stowage)' : ''}${shapingText(result.registry.shaping)}`,
    '',
    style.bold(line(header)),
    ...rows.map(line),
    '',
    `suite: pull is ${pct(result.suite.pullShare)} of pull + run (Slacker: 76%); read until ready ${pct(result.suite.bytesReadShare)} of the image bytes (Slacker: 6.4%)`
      + (result.suite.flattenedStartRatio !== undefined ? `; flattened/layered start ${result.suite.flattenedStartRatio.toFixed(2)}x` : ''),
  ];
  for (const r of result.images) {
    if (r.error) out.push(style.severity('error', `${r.name} (${r.variant}): ${r.error}`));
    else if (!r.bytesRead && r.bytesReadNote) out.push(`${r.name}: files read not traced: ${r.bytesReadNote}`);
  }
  if (result.interrupted) out.push('interrupted: the images measured so far are shown');
  const findings = result.findings.filter((f) => f.id !== 'bench/hello-failed');
  if (findings.length) out.push('', renderFindings(findings, style));
  return `${out.join('\n')}\n`;
}

/** `, shaped to 100 Mbit/s and 40 ms round trip`: the WAN conditions of `--bandwidth` and `--latency`. */
function shapingText(s: HelloBenchResult['registry']['shaping']): string {
  if (!s) return '';
  const parts = [s.rateBitsPerSec ? `${s.rateBitsPerSec >= 1e9 ? `${s.rateBitsPerSec / 1e9} Gbit/s` : `${s.rateBitsPerSec / 1e6} Mbit/s`} each way` : '', s.latencyMs ? `${s.latencyMs} ms round trip` : ''].filter(Boolean);
  return `, traffic shaped to ${parts.join(' and ')}`;
}
