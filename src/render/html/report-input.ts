/**
 * Which stowage document a JSON text is (doctor, analyze, bench start/disk/build), told by its `command`
 * and checked against the fields its schema requires (schema/*.schema.json), so a document of another tool,
 * a truncated one or one of another schemaVersion is refused with a message naming the file.
 */
import { gunzipSync } from 'node:zlib';
import { BadInputError } from '../../errors.js';
import { SCHEMA_VERSION, type JsonDocument } from '../json-document.js';

export const REPORT_KINDS = ['doctor', 'analyze', 'bench start', 'bench disk', 'bench build', 'bench hello'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
/** What a page section renders: a --json document's kind, or a watch snapshot (`stowage watch --json`'s NDJSON). */
export type PageKind = ReportKind | 'watch';

/** The fields of `result` each kind's schema requires. */
export const REQUIRED_RESULT_FIELDS: Record<ReportKind, readonly string[]> = {
  doctor: ['schemaVersion', 'groups', 'findings', 'summary', 'failOn', 'durationMs', 'facts'],
  analyze: ['schemaVersion', 'image', 'totals', 'layers', 'depthProfile', 'offenders', 'thresholds', 'findings', 'summary', 'failOn', 'elapsedMs'],
  'bench start': ['schemaVersion', 'image', 'concurrency', 'startedAt', 'stallOptions', 'sampleIntervalMs', 'summary', 'findings', 'stalls', 'cpu', 'episodes', 'interrupted', 'sampleCount'],
  'bench disk': ['schemaVersion', 'path', 'device', 'tool', 'toolDetail', 'syncWrite', 'randomWrite', 'sequentialWrite', 'findings'],
  'bench build': ['schemaVersion', 'thresholds', 'runs', 'findings'],
  'bench hello': ['schemaVersion', 'startedAt', 'registry', 'repetitions', 'images', 'suite', 'findings', 'interrupted'],
};

/** Fields that must be arrays, since the page iterates over them. */
const ARRAY_FIELDS: Record<ReportKind, readonly string[]> = {
  doctor: ['groups', 'findings'],
  analyze: ['layers', 'depthProfile', 'findings'],
  'bench start': ['findings', 'stalls', 'episodes'],
  'bench disk': ['findings'],
  'bench build': ['runs', 'findings'],
  'bench hello': ['images', 'findings'],
};

/** One document to render and where it came from (a file name, `-` for stdin, or `stowage doctor` for --run). */
export interface ReportDocument {
  source: string;
  kind: PageKind;
  document: JsonDocument<Record<string, unknown>>;
}

/** The id of the embedded data in a rendered page, so a page can be rendered again from itself. */
export const EMBEDDED_DATA_ID = 'stowage-report-data';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(source: string, message: string, hint?: string): BadInputError {
  return new BadInputError(`${source}: ${message}`, hint);
}

const KINDS_HINT = `stowage report renders the --json documents of ${REPORT_KINDS.map((k) => `stowage ${k}`).join(', ')}, the NDJSON of stowage watch --json, or a page it wrote.`;

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
  if (value.command === 'watch' && value.schemaVersion === SCHEMA_VERSION && isObject(value.result) && Array.isArray(value.result.events)) {
    // a watch snapshot embedded in a page: its events are checked again, as they were when read from the NDJSON
    return watchDocument(value.result.events.map((e, i) => checkWatchEvent(e, `${source} (event ${i + 1})`)), source);
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

/** The fields each type of watch event requires (schema/watch-event.schema.json, its `oneOf`). */
export const WATCH_EVENT_REQUIRED: Record<string, readonly string[]> = {
  start: ['target'],
  reading: ['reading'],
  finding: ['state', 'finding'],
  canary: ['image', 'durationMs', 'medianMs', 'slow', 'error'],
};

/** The sample figures the watch chart draws; the schema requires them as numbers. */
const WATCH_SAMPLE_NUMBERS = ['readIops', 'writeIops', 'readAwaitMs', 'writeAwaitMs', 'blockedTasks'] as const;
/** The credit figures the watch chart and table show. */
const WATCH_CREDIT_FIELDS = ['creditsLeft', 'creditsLowerBound', 'creditsUpperBound', 'bucketCredits', 'confidence', 'secondsToExhaustion'] as const;

const WATCH_HINT = 'A watch snapshot is what `stowage watch --json` prints: one JSON event per line (schema/watch-event.schema.json).';

/** One line of a watch NDJSON checked against the event schema; `where` names the file and line. */
function checkWatchEvent(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value) || typeof value.type !== 'string') throw bad(where, 'not a stowage watch event (no type)', WATCH_HINT);
  if (value.schemaVersion !== SCHEMA_VERSION) {
    throw bad(where, `schemaVersion ${JSON.stringify(value.schemaVersion)} is not one this stowage reads (${SCHEMA_VERSION})`, 'Render it with the stowage that wrote it.');
  }
  const required = WATCH_EVENT_REQUIRED[value.type];
  if (!required) throw bad(where, `a watch event of type ${JSON.stringify(value.type)}, which is not one of ${Object.keys(WATCH_EVENT_REQUIRED).join(', ')}`, WATCH_HINT);
  const missing = required.filter((f) => !(f in value));
  if (missing.length) throw bad(where, `the ${value.type} event lacks ${missing.join(', ')} (schema/watch-event.schema.json)`);
  if (value.type === 'start' && !isObject(value.target)) throw bad(where, 'the start event\'s target is not an object');
  if (value.type === 'reading') {
    const r = value.reading;
    if (!isObject(r) || typeof r.at !== 'string' || !Number.isFinite(Date.parse(r.at)) || !isObject(r.sample) || !Array.isArray(r.active)) {
      throw bad(where, 'the reading event\'s reading lacks at (a time), sample or active');
    }
    const sample = r.sample;
    const notNumbers = WATCH_SAMPLE_NUMBERS.filter((f) => typeof sample[f] !== 'number');
    if (notNumbers.length) throw bad(where, `the reading's sample lacks ${notNumbers.join(', ')} as numbers`);
    if (r.credits !== null && r.credits !== undefined) {
      const credits = r.credits;
      if (!isObject(credits) || WATCH_CREDIT_FIELDS.some((f) => !(f in credits))) throw bad(where, `the reading's credits lack ${WATCH_CREDIT_FIELDS.join(', ')}`);
    }
  }
  if (value.type === 'finding') {
    if (value.state !== 'raised' && value.state !== 'cleared') throw bad(where, `the finding event's state ${JSON.stringify(value.state)} is not raised or cleared`);
    checkFinding(where, value.finding, 0);
  }
  return value;
}

/**
 * A watch snapshot as a page document: the events in order, and as `findings` the finding of every `raised`
 * event (the page's findings list; a cleared mark links to the raise it ends).
 */
function watchDocument(events: Record<string, unknown>[], source: string): ReportDocument {
  const findings = events.filter((e) => e.type === 'finding' && e.state === 'raised').map((e) => e.finding);
  const readings = events.filter((e) => e.type === 'reading').map((e) => (e.reading as { at: string }).at);
  const document = {
    schemaVersion: SCHEMA_VERSION, command: 'watch', stowageVersion: 'watch', generatedAt: readings[readings.length - 1] ?? '',
    result: { events, findings },
  };
  return { source, kind: 'watch', document: document as unknown as JsonDocument<Record<string, unknown>> };
}

/** A JSON object on one line that is a watch event rather than a --json document (it has a type, no command). */
function looksLikeWatchEvent(line: string): boolean {
  const t = line.trim();
  if (!t.startsWith('{') || !t.endsWith('}') || !t.includes('"type"')) return false;
  try {
    const v = JSON.parse(t) as unknown;
    return isObject(v) && typeof v.type === 'string' && !('command' in v);
  } catch {
    return false;
  }
}

/** Every non-empty line of a watch NDJSON as an event; any other line is refused naming its file and number. */
export function parseWatchNdjson(text: string, source: string): ReportDocument {
  const events: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${source} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw bad(where, `not a JSON event: a watch snapshot has one JSON event per line (${(err as Error).message})`, WATCH_HINT);
    }
    events.push(checkWatchEvent(value, where));
  });
  return watchDocument(events, source);
}

/**
 * The documents in one input: a --json document, a watch snapshot (NDJSON: one event per line), or every
 * document embedded in a page stowage report wrote.
 */
export function parseReportInput(text: string, source: string): ReportDocument[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) {
    const docs = embeddedDocuments(text, source);
    if (docs) return docs;
    throw bad(source, 'an HTML file that is not a page stowage report wrote', KINDS_HINT);
  }
  if (!trimmed) throw bad(source, 'empty', KINDS_HINT);
  // NDJSON when any line is a watch event; one bad line among them is then named rather than "not valid JSON"
  if (text.split('\n').some(looksLikeWatchEvent)) return [parseWatchNdjson(text, source)];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(source, `not valid JSON, truncated or not a --json document (${(err as Error).message})`, KINDS_HINT);
  }
  return [toReportDocument(value, source)];
}
