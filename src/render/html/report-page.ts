/**
 * `stowage report`'s page: one self-contained HTML file (inline SVG charts, one stylesheet, no script and
 * nothing from the network; a Content-Security-Policy forbids it) with the documents it was made from
 * embedded, so the page can be rendered again (`stowage report page.html`).
 */
import type { AnalyzeResult } from '../../analyze/analyze-image.js';
import type { BuildBenchResult } from '../../bench/build-bench.js';
import type { DiskBenchResult } from '../../bench/disk-bench.js';
import type { StartBenchResult } from '../../bench/start-loop.js';
import type { DoctorReport } from '../../doctor/doctor.js';
import type { Finding } from '../../findings.js';
import { gzipSync } from 'node:zlib';
import { count } from '../../units.js';
import { STOWAGE_VERSION } from '../../version.js';
import { analyzeSection } from './analyze-section.js';
import { benchBuildSection, benchDiskSection, benchStartSection } from './bench-sections.js';
import type { HelloBenchResult } from '../../bench/hello/hello-bench.js';
import { benchHelloSection } from './hello-section.js';
import { doctorSection } from './doctor-section.js';
import { esc, jsonForScript } from './escape.js';
import { findingAnchor } from './findings-html.js';
import { PAGE_STYLE } from './page-style.js';
import { watchSection, type WatchSnapshot } from './watch-section.js';
import { EMBEDDED_DATA_ID, type ReportDocument } from './report-input.js';

/** Bump when the embedded data's shape changes. */
export const EMBEDDED_DATA_VERSION = 1;

/**
 * Embedded documents up to this size stay plain JSON; larger ones (a 10,000-start bench is 2.6 MB) are
 * gzipped and base64-encoded inside the same JSON envelope, so the page stays under 2 MB (issue 19).
 */
export const PLAIN_DATA_LIMIT = 1_000_000;

/** The embedded data: `{version, documents}`, or `{version, encoding: "gzip+base64", data}` when large. */
function embeddedData(docs: ReportDocument[]): string {
  const documents = docs.map((d) => ({ source: d.source, kind: d.kind, document: d.document }));
  const plain = jsonForScript({ version: EMBEDDED_DATA_VERSION, documents });
  if (plain.length <= PLAIN_DATA_LIMIT) return plain;
  const data = gzipSync(JSON.stringify(documents), { level: 9 }).toString('base64');
  return jsonForScript({ version: EMBEDDED_DATA_VERSION, encoding: 'gzip+base64', data });
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

function docTitle(d: ReportDocument): string {
  const r = d.document.result;
  switch (d.kind) {
    case 'analyze': {
      const a = r as unknown as AnalyzeResult;
      return `analyze ${a.image.repoTags[0] ?? a.image.reference}`;
    }
    case 'bench start':
      return `bench start ${(r as unknown as StartBenchResult).image}`;
    case 'bench disk':
      return `bench disk ${(r as unknown as DiskBenchResult).path}`;
    case 'bench build':
      return `bench build ${(r as unknown as BuildBenchResult).runs.map((x) => x.dockerfile).join(' vs ')}`;
    case 'bench hello': {
      const h = r as unknown as HelloBenchResult;
      return `bench hello ${[...new Set(h.images.map((i) => i.name))].join(', ')}`;
    }
    case 'watch': {
      const start = (r as unknown as WatchSnapshot).events.find((e) => e.type === 'start');
      return `watch ${start?.type === 'start' ? start.target.dataRoot : d.source}`;
    }
    default:
      return 'doctor';
  }
}

function sectionBody(d: ReportDocument, docId: string): string {
  const r = d.document.result as unknown;
  switch (d.kind) {
    case 'doctor': return doctorSection(r as DoctorReport, docId);
    case 'analyze': return analyzeSection(r as AnalyzeResult, docId);
    case 'bench start': return benchStartSection(r as StartBenchResult, docId);
    case 'bench disk': return benchDiskSection(r as DiskBenchResult, docId);
    case 'bench build': return benchBuildSection(r as BuildBenchResult, docId);
    case 'bench hello': return benchHelloSection(r as HelloBenchResult, docId);
    case 'watch': return watchSection(r as WatchSnapshot, docId);
  }
}

const findingsOf = (d: ReportDocument) => d.document.result.findings as Finding[];

function overview(docs: ReportDocument[]): string {
  const items = docs.flatMap((d, k) => findingsOf(d).map((f, i) => ({ f, href: findingAnchor(`doc-${k + 1}`, i), doc: docTitle(d) })))
    .filter(({ f }) => f.severity !== 'info')
    .sort((a, b) => (a.f.severity === b.f.severity ? 0 : a.f.severity === 'error' ? -1 : 1));
  const nouns = { error: ['error', 'errors'], warn: ['warning', 'warnings'], info: ['note', 'notes'] } as const;
  const counts = (['error', 'warn', 'info'] as const).map((s) => count(docs.reduce((n, d) => n + findingsOf(d).filter((f) => f.severity === s).length, 0), nouns[s][0], nouns[s][1])).join(', ');
  const list = items.length
    ? `<ul class="overview-findings">${items.map(({ f, href, doc }) => `<li class="sev-${esc(f.severity)}"><span class="severity">${esc(f.severity)}</span> <a href="#${href}">${esc(f.title)}</a> <span class="muted">(${esc(doc)})</span></li>`).join('')}</ul>`
    : '<p>No warnings or errors.</p>';
  return `<section class="overview" aria-labelledby="overview-h"><h2 id="overview-h">Findings at a glance</h2><p>${esc(counts)}</p>${list}</section>`;
}

export interface PageOptions {
  /** When the page was rendered (the documents keep their own times). */
  now?: Date;
}

/** Renders the documents into one HTML page. */
export function renderReportPage(docs: ReportDocument[], options: PageOptions = {}): string {
  const now = options.now ?? new Date();
  const nav = `<nav aria-label="Contents"><ol>${docs.map((d, k) => `<li><a href="#doc-${k + 1}">${esc(docTitle(d))}</a></li>`).join('')}</ol></nav>`;
  const sections = docs.map((d, k) => {
    const id = `doc-${k + 1}`;
    const meta = d.kind === 'watch'
      ? `<p class="muted">From <code>${esc(d.source)}</code>: the NDJSON of stowage watch --json, ${count((d.document.result as unknown as WatchSnapshot).events.length, 'event', 'events')}, the last reading at ${esc(d.document.generatedAt || 'none')}.</p>`
      : `<p class="muted">From <code>${esc(d.source)}</code>, written by stowage ${esc(d.document.stowageVersion)} at ${esc(d.document.generatedAt)}.</p>`;
    return `<section class="document" id="${id}" data-kind="${esc(d.kind)}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(docTitle(d))}</h2>${meta}${sectionBody(d, id)}</section>`;
  }).join('\n');
  const title = `stowage report: ${docs.map(docTitle).join(', ')}`;
  return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<meta http-equiv="Content-Security-Policy" content="${CSP}">`
    + `<meta name="generator" content="stowage ${esc(STOWAGE_VERSION)}">`
    + `<title>${esc(title)}</title><style>${PAGE_STYLE}</style></head>\n<body>`
    + `<header><h1>stowage report</h1><p class="muted">Rendered ${esc(now.toISOString())} by stowage ${esc(STOWAGE_VERSION)} from ${docs.length} ${docs.length === 1 ? 'document' : 'documents'}.</p>${nav}</header>\n`
    + `<main>${overview(docs)}\n${sections}</main>\n`
    + `<footer><p>The documents this page was made from are embedded in it (script element <code>#${EMBEDDED_DATA_ID}</code>); <code>stowage report THIS.html -o NEW.html</code> renders it again.</p></footer>\n`
    + `<script type="application/json" id="${EMBEDDED_DATA_ID}">${embeddedData(docs)}</script>\n</body></html>\n`;
}
