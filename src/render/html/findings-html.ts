/** Findings as HTML: each with its id, subject, evidence and fix, and an anchor the charts link to. */
import type { Finding } from '../../findings.js';
import { formatValue } from '../format.js';
import { anchorId, esc } from './escape.js';

/** The anchor of finding `index` (its position in the document's findings) of document `docId`. */
export function findingAnchor(docId: string, index: number): string {
  return anchorId(docId, 'finding', index);
}

function evidenceRow(e: Finding['evidence'][number]): string {
  const raw = typeof e.value === 'number' ? ` data-value="${esc(e.value)}"${e.unit ? ` data-unit="${esc(e.unit)}"` : ''}` : '';
  return `<tr><th scope="row">${esc(e.label)}</th><td${raw}>${esc(formatValue(e.value, e.unit))}</td></tr>`;
}

function fixHtml(fix: Finding['fix']): string {
  if (!fix) return '';
  const commands = fix.commands?.length ? `<pre class="commands"><code>${fix.commands.map(esc).join('\n')}</code></pre>` : '';
  const config = fix.config ? `<pre class="config"><code>${esc(fix.config)}</code></pre>` : '';
  return `<div class="fix"><h5>Fix</h5><p>${esc(fix.summary)}</p>${commands}${config}</div>`;
}

export function findingHtml(docId: string, f: Finding, index: number): string {
  const evidence = f.evidence.length
    ? `<table class="evidence"><caption>Evidence</caption><tbody>${f.evidence.map(evidenceRow).join('')}</tbody></table>`
    : '';
  return `<article class="finding sev-${esc(f.severity)}" id="${findingAnchor(docId, index)}" data-finding-id="${esc(f.id)}">`
    + `<h4><span class="severity">${esc(f.severity)}</span> ${esc(f.title)}</h4>`
    + `<p class="finding-meta"><code>${esc(f.id)}</code> on ${esc(f.subject.kind)} <span class="subject">${esc(f.subject.id)}</span></p>`
    + `${evidence}${fixHtml(f.fix)}</article>`;
}

/** Every finding of one document, most severe first (each keeps the anchor of its position in the document). */
export function findingsSection(docId: string, findings: readonly Finding[]): string {
  if (!findings.length) return '<section class="findings"><h3>Findings</h3><p class="none">No findings.</p></section>';
  const rank = { error: 0, warn: 1, info: 2 } as const;
  const order = findings.map((f, i) => ({ f, i })).sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i);
  return `<section class="findings"><h3>Findings (${findings.length})</h3>${order.map(({ f, i }) => findingHtml(docId, f, i)).join('')}</section>`;
}
