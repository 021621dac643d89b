/** analyze's result as text: summary, per-layer table, depth profile, offenders, findings, or a path list. */
import type { AnalyzeResult } from '../analyze/analyze-image.js';
import { renderFindings } from './findings-text.js';
import { count, formatBytes, formatDuration } from './format.js';
import type { Style } from './style.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(rows: string[][], rightAlign: Set<number>): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, [...c].length); });
  return rows.map((r) => r.map((c, i) => {
    if (i === r.length - 1) return c;
    const pad = ' '.repeat(widths[i]! - [...c].length);
    return rightAlign.has(i) ? pad + c : c + pad;
  }).join('  ').trimEnd());
}

function oneLine(s: string, n: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

export function renderAnalyzeText(r: AnalyzeResult, style: Style): string {
  if (r.paths) return renderPaths(r);
  const lines: string[] = [];
  const name = r.image.repoTags[0] ?? r.image.reference;
  lines.push(`${style.bold(name)}  ${style.dim(`${r.image.id?.slice(0, 19) ?? ''} via ${r.image.source}`)}`);
  if (r.image.note) lines.push(style.dim(r.image.note));
  const t = r.totals;
  lines.push(`${count(r.image.layers, 'layer')}, ${count(r.image.emptyLayerInstructions, 'instruction')} without a layer; ${count(t.finalPaths, 'path')} in the final filesystem`);
  lines.push(`efficiency ${style.bold(pct(t.efficiency))}  content bytes ${formatBytes(t.bytes)}  final ${formatBytes(t.finalBytes)}  wasted ${formatBytes(t.wastedBytes)} (${pct(t.wastedShare)})  metadata-only ${formatBytes(t.metadataOnlyBytes)} in ${count(t.metadataOnlyFiles, 'file')}`);
  if (t.compressedBytes !== undefined) lines.push(`compressed ${formatBytes(t.compressedBytes)}, tar bytes ${formatBytes(t.tarBytes)}`);
  lines.push('');
  const compressed = t.compressedBytes !== undefined;
  const rows: string[][] = [['#', 'content', ...(compressed ? ['compressed'] : []), 'files', 'added', 'modified', 'deleted', 'meta-only', 'wasted', 'final share', 'instruction']];
  for (const l of r.layers) {
    const share = r.depthProfile[l.index]?.share ?? 0;
    rows.push([String(l.index), formatBytes(l.bytes), ...(compressed ? [formatBytes(l.compressedBytes ?? 0)] : []), String(l.files), String(l.added), String(l.modified), String(l.deleted),
      l.metadataOnly.files ? formatBytes(l.metadataOnly.bytes) : '-', l.wastedBytes ? formatBytes(l.wastedBytes) : '-', pct(share), oneLine(l.instruction, 70)]);
  }
  const numeric = new Set(rows[0]!.map((_, i) => i).filter((i) => i < rows[0]!.length - 1));
  lines.push(...table(rows, numeric).map((l, i) => (i === 0 ? style.dim(l) : l)));
  if (r.offenders.paths.length) {
    lines.push('', style.bold('Top wasted paths'));
    lines.push(...table(r.offenders.paths.map((p) => [formatBytes(p.wastedBytes), count(p.copies, 'copy', 'copies'), p.path]), new Set([0])).map((l) => `  ${l}`));
  }
  if (r.offenders.instructions.length) {
    lines.push('', style.bold('Top instructions by waste caused'));
    lines.push(...table(r.offenders.instructions.map((i) => [`layer ${i.layer}`, formatBytes(i.wastedBytesCaused), `meta-only ${formatBytes(i.metadataOnlyBytes)}`, oneLine(i.instruction, 70)]), new Set([1, 2])).map((l) => `  ${l}`));
  }
  if (r.findings.length) lines.push('', renderFindings(r.findings, style));
  else lines.push('', style.dim('no findings'));
  lines.push('', style.dim(`analysed in ${formatDuration(r.elapsedMs)}`));
  return lines.join('\n');
}

function renderPaths(r: AnalyzeResult): string {
  const p = r.paths!;
  const rows = p.entries.map((e) => [formatBytes(e.bytes), `layer ${e.layer}`, e.path, e.detail ?? '']);
  const head = `${count(p.entries.length, 'path')} behind "${p.figure}"${p.layer !== undefined ? ` in layer ${p.layer}` : ''}`;
  return [head, ...table(rows, new Set([0])).map((l) => `  ${l}`)].join('\n');
}
