/**
 * Findings as GitHub Actions workflow commands (`::warning file=…,line=…::message`), which the runner shows
 * as annotations on the pull request. Escaping follows the runner's toolkit (%, CR, LF; plus : and , in
 * properties).
 */
import type { Finding, Severity } from '../findings.js';
import { formatValue } from './format.js';

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warn: 'warning', info: 'notice' };

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithubAnnotation(f: Finding): string {
  const props = [`file=${escapeProperty(f.subject.id)}`];
  const r = f.subject.range;
  if (r) {
    props.push(`line=${r.startLine}`, `endLine=${r.endLine}`);
    // columns only mean something on a single line
    if (r.startLine === r.endLine) props.push(`col=${r.startColumn}`, `endColumn=${r.endColumn}`);
  }
  props.push(`title=${escapeProperty(`${f.id}: ${f.title}`)}`);
  const lines = [f.title, ...f.evidence.map((e) => `${e.label}: ${formatValue(e.value, e.unit)}`)];
  if (f.fix) lines.push(`fix: ${f.fix.summary}`);
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(lines.join('\n'))}`;
}

/** Findings as GitHub Actions workflow commands (`::warning file=…`), one per line. */
export function renderGithubAnnotations(findings: readonly Finding[]): string {
  return findings.map(renderGithubAnnotation).join('\n') + (findings.length ? '\n' : '');
}
