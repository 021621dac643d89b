/**
 * CI gate thresholds for analyze, from flags or a config file; dive's `.dive-ci` keys are read too so teams
 * can switch (`lowestEfficiency`, `highestWastedBytes`, `highestUserWastedPercent`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, readConfigText, type FindConfigOptions } from '../config/config-file.js';
import { readShare, readSize, SIZE_EXAMPLES } from '../config/value-parsers.js';
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

/** `20MB` (decimal, as dive and docker print), `20MiB`, `1.5G`, or a plain number of bytes. */
export function parseByteSize(text: string, what: string): number {
  const n = readSize(text);
  if (n === undefined) throw new UsageError(`${what}: "${text}" is not a size (${SIZE_EXAMPLES})`);
  return n;
}

/** `0.95`, `95%`. */
export function parseRatio(text: string, what: string): number {
  const v = readShare(text);
  if (v === undefined) throw new UsageError(`${what}: "${text}" is not a ratio between 0 and 1 (or a percentage)`);
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
    return thresholdsFromSection((doc.analyze ?? doc.rules ?? doc) as Record<string, unknown>, where);
  }
  for (const line of text.split('\n')) {
    const clean = line.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    const m = /^\s*([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$/.exec(clean);
    if (m && m[2] !== '') setKey(out, m[1]!, m[2], where);
  }
  return out;
}

/** The `analyze` section of a JSON config (`.stowage.json`, found by config/config-file.ts). */
export function thresholdsFromSection(section: Record<string, unknown>, where: string): AnalyzeThresholds {
  const out: AnalyzeThresholds = {};
  for (const [k, v] of Object.entries(section)) setKey(out, k, v, where);
  return out;
}

/** Reads analyze thresholds from a config file, stowage's own keys or dive's `.dive-ci` keys. */
export function readThresholdConfig(path: string): AnalyzeThresholds {
  return parseThresholdConfig(readConfigText(path), path);
}

/** Later sources win: config file, then flags. */
export function mergeThresholds(...sources: AnalyzeThresholds[]): AnalyzeThresholds {
  const out: AnalyzeThresholds = {};
  for (const s of sources) for (const [k, v] of Object.entries(s)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export interface LoadThresholdsOptions extends Pick<FindConfigOptions, 'cwd' | 'env' | 'home'> {
  /** A file given by the caller (`--config`): JSON or dive's YAML; then `.stowage.json` is not looked for. */
  config?: string | undefined;
  /** Read `.dive-ci` in the working directory when there is one, as `dive --ci` does. */
  diveCi?: boolean | undefined;
  /** Thresholds given directly (flags), which win over every file. */
  overrides?: AnalyzeThresholds;
}

/**
 * The thresholds of a run, later sources winning: the `analyze` section of stowage's config file (found by
 * config/config-file.ts), `.dive-ci`, the file given, then `overrides`.
 */
export function loadThresholds(options: LoadThresholdsOptions = {}): AnalyzeThresholds {
  const found = options.config ? undefined : loadConfig(options);
  const diveCi = join(options.cwd ?? '.', '.dive-ci');
  return mergeThresholds(
    found?.analyze ? thresholdsFromSection(found.analyze as Record<string, unknown>, `config ${found.file} (section "analyze")`) : {},
    options.diveCi && existsSync(diveCi) ? readThresholdConfig(diveCi) : {},
    options.config ? readThresholdConfig(options.config) : {},
    options.overrides ?? {},
  );
}
