/**
 * CI gate thresholds for analyze, from flags or a config file; dive's `.dive-ci` keys are read too so teams
 * can switch (`lowestEfficiency`, `highestWastedBytes`, `highestUserWastedPercent`).
 */
import { readFileSync } from 'node:fs';
import { BadInputError, UsageError } from '../errors.js';

export interface AnalyzeThresholds {
  /** Fail below this efficiency (0..1). */
  lowestEfficiency?: number | undefined;
  /** Fail above this many wasted bytes. */
  highestWastedBytes?: number | undefined;
  /** Fail above this share (0..1) of the image's bytes wasted. */
  highestWastedShare?: number | undefined;
  /** Fail above this many bytes of metadata-only copies. */
  highestMetadataBytes?: number | undefined;
  /** Error above this many layers (image/layer-depth warns from 100 and errors from 120 regardless). */
  highestLayers?: number | undefined;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** `20MB` (decimal, as dive and docker print), `20MiB`, `1.5G`, or a plain number of bytes. */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${what}: "${text}" is not a size (e.g. 20MB, 512MiB, 1000000)`);
  return Math.round(Number(m[1]) * unit);
}

/** `0.95`, `95%`. */
export function parseRatio(text: string, what: string): number {
  const t = text.trim();
  const pct = t.endsWith('%');
  const n = Number(pct ? t.slice(0, -1) : t);
  const v = pct ? n / 100 : n;
  if (!Number.isFinite(v) || v < 0 || v > 1 || t === '') throw new UsageError(`${what}: "${text}" is not a ratio between 0 and 1 (or a percentage)`);
  return v;
}

const KEYS: Record<string, { field: keyof AnalyzeThresholds; kind: 'ratio' | 'bytes' | 'count' }> = {
  lowestefficiency: { field: 'lowestEfficiency', kind: 'ratio' },
  highestwastedbytes: { field: 'highestWastedBytes', kind: 'bytes' },
  highestuserwastedpercent: { field: 'highestWastedShare', kind: 'ratio' },
  highestwastedshare: { field: 'highestWastedShare', kind: 'ratio' },
  highestmetadatabytes: { field: 'highestMetadataBytes', kind: 'bytes' },
  highestlayers: { field: 'highestLayers', kind: 'count' },
};

function setKey(out: AnalyzeThresholds, key: string, raw: unknown, where: string): void {
  const spec = KEYS[key.toLowerCase().replace(/[-_]/g, '')];
  if (!spec) return; // other tools' keys (dive's plugin settings) are not ours to judge
  const text = String(raw).trim().replace(/^["']|["']$/g, '');
  if (text === '' || text.toLowerCase() === 'disabled') return;
  try {
    if (spec.kind === 'ratio') out[spec.field] = parseRatio(text, `${where} ${key}`);
    else if (spec.kind === 'bytes') out[spec.field] = parseByteSize(text, `${where} ${key}`);
    else {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${where} ${key}: "${text}" is not a positive whole number`);
      out[spec.field] = n;
    }
  } catch (err) {
    throw new BadInputError((err as Error).message);
  }
}

/** Parses a config file: JSON (`{"analyze": {...}}` or flat) or dive's YAML (`rules:` with `key: value`). */
export function parseThresholdConfig(text: string, where: string): AnalyzeThresholds {
  const out: AnalyzeThresholds = {};
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (err) {
      throw new BadInputError(`${where}: not valid JSON (${(err as Error).message})`);
    }
    const section = (doc.analyze ?? doc.rules ?? doc) as Record<string, unknown>;
    for (const [k, v] of Object.entries(section)) setKey(out, k, v, where);
    return out;
  }
  for (const line of text.split('\n')) {
    const clean = line.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    const m = /^\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/.exec(clean);
    if (m && m[2] !== '') setKey(out, m[1]!, m[2], where);
  }
  return out;
}

/** Reads analyze thresholds from a config file, stowage's own keys or dive's `.dive-ci` keys. */
export function readThresholdConfig(path: string): AnalyzeThresholds {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseThresholdConfig(text, path);
}

/** Later sources win: config file, then flags. */
export function mergeThresholds(...sources: AnalyzeThresholds[]): AnalyzeThresholds {
  const out: AnalyzeThresholds = {};
  for (const s of sources) for (const [k, v] of Object.entries(s)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
