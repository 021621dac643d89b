/** analyze's part of the page: the image's totals, its per-layer bytes and depth profile, offenders and findings. */
import type { AnalyzeResult } from '../../analyze/analyze-image.js';
import { dataTable, factList } from './data-table.js';
import { esc } from './escape.js';
import { findingsSection } from './findings-html.js';
import { depthProfileChart, layerBytesChart } from './layer-bytes-chart.js';

export function analyzeSection(r: AnalyzeResult, docId: string): string {
  const t = r.totals;
  let html = factList([
    ['image', r.image.repoTags[0] ?? r.image.reference],
    ['id', r.image.id ?? '–'],
    ['read via', r.image.source],
    ['layers', { value: r.image.layers }],
    ['content bytes', { value: t.bytes, unit: 'bytes' }],
    ['final bytes', { value: t.finalBytes, unit: 'bytes' }],
    ['wasted', { value: t.wastedBytes, unit: 'bytes' }],
    ['wasted share', { value: t.wastedShare * 100, unit: '%' }],
    ['metadata-only copies', { value: t.metadataOnlyBytes, unit: 'bytes' }],
    ['efficiency', { value: t.efficiency * 100, unit: '%' }],
    ['tar bytes', { value: t.tarBytes, unit: 'bytes' }],
    ...(t.compressedBytes !== undefined ? [['compressed', { value: t.compressedBytes, unit: 'bytes' }] as [string, { value: number; unit: string }]] : []),
  ]);
  if (r.image.note) html += `<p class="note">${esc(r.image.note)}</p>`;
  html += layerBytesChart(r, docId);
  html += depthProfileChart(r, docId);
  html += dataTable('Layers', ['#', 'content', 'wasted', 'metadata-only', 'final', 'files', 'instruction'],
    r.layers.map((l) => [String(l.index), { value: l.bytes, unit: 'bytes' }, { value: l.wastedBytes, unit: 'bytes' }, { value: l.metadataOnly.bytes, unit: 'bytes' },
      { value: l.finalBytes, unit: 'bytes' }, { value: l.files }, l.instruction.replace(/\s+/g, ' ')]), 'layers');
  if (r.offenders.paths.length) {
    html += dataTable('Top wasted paths', ['path', 'wasted', 'copies'], r.offenders.paths.map((p) => [p.path, { value: p.wastedBytes, unit: 'bytes' }, { value: p.copies }]), 'offenders');
  }
  return html + findingsSection(docId, r.findings);
}
