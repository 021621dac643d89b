/**
 * Which stowage document a JSON text is (doctor, analyze, bench start/disk/build), told by its `command`
 * and checked against the fields its schema requires (schema/*.schema.json), so a document of another tool,
 * a truncated one or one of another schemaVersion is refused with a message naming the file.
 */
import { gunzipSync } from 'node:zlib';
import { BadInputError } from '../../errors.js';
import { SCHEMA_VERSION, type JsonDocument } from '../json-document.js';

export const REPORT_KINDS = ['doctor', 'analyze', 'bench start', 'bench disk', 'bench build'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** The fields of `result` each kind's schema requires. */
export const REQUIRED_RESULT_FIELDS: Record<ReportKind, readonly string[]> = {
  doctor: ['schemaVersion', 'groups', 'findings', 'summary', 'failOn', 'durationMs', 'facts'],
  analyze: ['schemaVersion', 'image', 'totals', 'layers', 'depthProfile', 'offenders', 'thresholds', 'findings', 'summary', 'failOn', 'elapsedMs'],
  'bench start': ['schemaVersion', 'image', 'concurrency', 'startedAt', 'stallOptions', 'sampleIntervalMs', 'summary', 'findings', 'stalls', 'cpu', 'episodes', 'interrupted', 'sampleCount'],
  'bench disk': ['schemaVersion', 'path', 'device', 'tool', 'toolDetail', 'syncWrite', 'randomWrite', 'sequentialWrite', 'findings'],
  'bench build': ['schemaVersion', 'thresholds', 'runs', 'findings'],
};

/** Fields that must be arrays, since the page iterates over them. */
const ARRAY_FIELDS: Record<ReportKind, readonly string[]> = {
  doctor: ['groups', 'findings'],
  analyze: ['layers', 'depthProfile', 'findings'],
  'bench start': ['findings', 'stalls', 'episodes'],
  'bench disk': ['findings'],
  'bench build': ['runs', 'findings'],
};

/** One document to render and where it came from (a file name, `-` for stdin, or `stowage doctor` for --run). */
export interface ReportDocument {
  source: string;
  kind: ReportKind;
  document: JsonDocument<Record<string, unknown>>;
}

/** The id of the embedded data in a rendered page, so a page can be rendered again from itself. */
export const EMBEDDED_DATA_ID = 'stowage-report-data';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(source: string, message: string, hint?: string): BadInputError {
  return new BadInputError(`${source}: ${message}`, hint);
}

const KINDS_HINT = `stowage report renders the --json documents of ${REPORT_KINDS.map((k) => `stowage ${k}`).join(', ')}, or a page it wrote.`;

function checkFinding(source: string, f: unknown, i: number): void {
  if (!isObject(f) || typeof f.id !== 'string' || typeof f.title !== 'string' || typeof f.severity !== 'string'
    || !['info', 'warn', 'error'].includes(f.severity) || !Array.isArray(f.evidence) || !isObject(f.subject)) {
    throw bad(source, `finding ${i} is not a stowage finding (id, severity, title, evidence, subject)`);
  }
}

/** Checks one parsed value and returns it as a document of a known kind. */
export function toReportDocument(value: unknown, source: string): ReportDocument {
  if (!isObject(value) || !('schemaVersion' in value) || typeof value.command !== 'string') {
    throw bad(source, 'not a stowage --json document (no schemaVersion and command)', KINDS_HINT);
  }
  if (isObject(value.error)) {
    const e = value.error;
    throw bad(source, `the error document of \`stowage ${value.command}\` (${String(e.message ?? e.code)}): it has nothing to render`);
  }
  if (value.schemaVersion !== SCHEMA_VERSION) {
    throw bad(source, `schemaVersion ${JSON.stringify(value.schemaVersion)} is not one this stowage reads (${SCHEMA_VERSION})`,
      `Render it with the stowage that wrote it${typeof value.stowageVersion === 'string' ? ` (${value.stowageVersion})` : ''}.`);
  }
  const kind = REPORT_KINDS.find((k) => k === value.command);
  if (!kind) throw bad(source, `a \`stowage ${value.command}\` document, which report does not render`, KINDS_HINT);
  const result = value.result;
  if (!isObject(result)) throw bad(source, `the ${kind} document has no result object`);
  const missing = REQUIRED_RESULT_FIELDS[kind].filter((f) => !(f in result));
  if (missing.length) throw bad(source, `the ${kind} document lacks ${missing.join(', ')} (schema/${kind.replace(' ', '-')}.schema.json)`);
  for (const f of ARRAY_FIELDS[kind]) if (!Array.isArray(result[f])) throw bad(source, `the ${kind} document's ${f} is not an array`);
  (result.findings as unknown[]).forEach((f, i) => checkFinding(source, f, i));
  return { source, kind, document: value as unknown as JsonDocument<Record<string, unknown>> };
}

/** The embedded data of a page stowage report wrote, or undefined when the text is not such a page. */
function embeddedDocuments(text: string, source: string): ReportDocument[] | undefined {
  const m = new RegExp(`<script type="application/json" id="${EMBEDDED_DATA_ID}">([^<]*)</script>`).exec(text);
  if (!m) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(m[1]!);
  } catch (err) {
    throw bad(source, `the page's embedded data is not valid JSON (${(err as Error).message})`);
  }
  if (isObject(data) && data.encoding === 'gzip+base64' && typeof data.data === 'string') {
    try {
      data = { documents: JSON.parse(gunzipSync(Buffer.from(data.data, 'base64')).toString('utf8')) as unknown };
    } catch (err) {
      throw bad(source, `the page's embedded data does not decode (${(err as Error).message})`);
    }
  }
  if (!isObject(data) || !Array.isArray(data.documents)) throw bad(source, 'the page\'s embedded data has no documents');
  return data.documents.map((d: unknown, i: number) => {
    const entry = isObject(d) ? d : {};
    return toReportDocument(entry.document, `${source} (document ${i + 1}${typeof entry.source === 'string' ? `, ${entry.source}` : ''})`);
  });
}

/** The documents in one input: a --json document, or every document embedded in a page stowage report wrote. */
export function parseReportInput(text: string, source: string): ReportDocument[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    const docs = embeddedDocuments(text, source);
    if (docs) return docs;
    throw bad(source, 'an HTML file that is not a page stowage report wrote', KINDS_HINT);
  }
  if (!trimmed) throw bad(source, 'empty', KINDS_HINT);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(source, `not valid JSON, truncated or not a --json document (${(err as Error).message})`, KINDS_HINT);
  }
  return [toReportDocument(value, source)];
}
