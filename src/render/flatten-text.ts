/** `stowage flatten` as text: what was written where, before/after figures, and how it was checked. */
import type { FlattenResult } from '../flatten/flatten-image.js';
import { count, formatBytes, formatDuration } from './format.js';
import type { Style } from './style.js';

export function renderFlattenText(r: FlattenResult, style: Style): string {
  const where = r.output.kind === 'engine' ? `engine image ${r.output.target}` : r.output.kind === 'oci' ? `OCI layout ${r.output.target}` : `docker-archive ${r.output.target}`;
  const lines: string[] = [];
  lines.push(style.bold(`flattened ${r.input.reference} -> ${where}`));
  lines.push(`  image ID   ${r.output.id}`);
  lines.push(`  mode       ${r.plan.mode}${r.plan.base ? ` (base ${r.plan.base})` : ''}: ${count(r.plan.keep, 'layer')} kept, ${r.plan.squashed} squashed into one`);
  const row = (label: string, before: string, after: string) => `  ${label.padEnd(14)}${before.padStart(10)}  ->  ${after}`;
  lines.push(row('layers', String(r.input.layers), String(r.output.layers)));
  lines.push(row('tar bytes', formatBytes(r.input.tarBytes), formatBytes(r.output.tarBytes)));
  lines.push(row('content bytes', formatBytes(r.input.bytes), formatBytes(r.output.bytes)));
  lines.push(row('wasted', formatBytes(r.input.wastedBytes), formatBytes(r.output.wastedBytes)));
  lines.push(`  removed    ${formatBytes(r.wastedBytesRemoved)} of copies that later layers overwrote or deleted`);
  const s = r.squashedLayer;
  lines.push(`  new layer  ${count(s.files, 'file')} (${formatBytes(s.bytes)}), ${count(s.hardlinks, 'hardlink')}, ${count(s.whiteouts, 'whiteout')}, ${count(s.opaques, 'opaque dir')}`);
  if (r.verification.verified) {
    r.verification.checks.forEach((c, i) => lines.push(`  ${i === 0 ? 'verified' : ''.padEnd(8)}   ${c.summary}`));
    if (!r.verification.inputCheckedIndependently) lines.push(style.dim('  note: how stowage read the input was not checked against the engine\'s record of it (not an engine image, or its history does not map to its layers)'));
  } else {
    lines.push(style.dim('  not verified (--no-verify)'));
  }
  lines.push(`  time       ${formatDuration(r.timings.totalMs)} (read ${formatDuration(r.timings.readMs)}, write ${formatDuration(r.timings.writeMs)}, verify ${formatDuration(r.timings.verifyMs)}; content ${r.contentVia === 'in-place' ? 'read in place' : 'spooled from the source stream'})`);
  if (r.input.note) lines.push(style.dim(`  note: ${r.input.note}`));
  return `${lines.join('\n')}\n`;
}
