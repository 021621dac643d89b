/** Findings as text: severity, id and title, then evidence and the fix, indented. */
import type { Finding } from '../findings.js';
import { formatValue } from './format.js';
import type { Style } from './style.js';

const LABEL: Record<Finding['severity'], string> = { error: 'ERROR', warn: 'WARN ', info: 'INFO ' };

export function renderFinding(f: Finding, style: Style): string {
  const lines = [`${style.severity(f.severity, LABEL[f.severity])} ${style.bold(f.title)} ${style.dim(`[${f.id}]`)}`];
  const where = f.subject.range
    ? `${f.subject.id}:${f.subject.range.startLine}:${f.subject.range.startColumn}`
    : f.subject.id;
  lines.push(`      ${style.dim(`${f.subject.kind}:`)} ${where}`);
  for (const e of f.evidence) lines.push(`      ${e.label}: ${formatValue(e.value, e.unit)}`);
  if (f.fix) {
    lines.push(`      ${style.bold('fix:')} ${f.fix.summary}`);
    for (const c of f.fix.commands ?? []) lines.push(`        $ ${c}`);
    if (f.fix.config) for (const c of f.fix.config.split('\n')) lines.push(`        ${c}`);
  }
  return lines.join('\n');
}

export function renderFindings(findings: readonly Finding[], style: Style): string {
  return findings.map((f) => renderFinding(f, style)).join('\n\n');
}
