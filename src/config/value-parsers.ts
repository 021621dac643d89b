/**
 * Values people write in flags and config files: numbers, sizes, durations, shares and choices. Each parser
 * returns undefined for text it cannot read; the caller says where the text came from (a flag, a file's key).
 */

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** `20MB` and `1G` decimal (as docker and dive print sizes), `512MiB` and `1Gi` binary, or plain bytes. */
export function readSize(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : undefined;
}

export const SIZE_EXAMPLES = 'e.g. 20MB, 512MiB, 1G or a number of bytes';

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** `500ms`, `30s`, `5m`, `1.5h`, in ms; a bare number is in `bareUnit`. */
export function readDuration(text: string, bareUnit: DurationUnit): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS[(m[2] ?? bareUnit) as DurationUnit] : undefined;
}

/** `0.95` or `95%`, as a share from 0 to 1. */
export function readShare(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === '%') return undefined;
  const pct = t.endsWith('%');
  const n = Number(pct ? t.slice(0, -1) : t);
  const v = pct ? n / 100 : n;
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
}

export interface NumberRange {
  integer?: boolean;
  min?: number;
  /** Exclusive lower bound: `above: 0` for "greater than 0". */
  above?: number;
  max?: number;
}

/** A number within the range (decimal notation only: no hex, no empty string). */
export function readNumber(text: string, range: NumberRange = {}): number | undefined {
  const t = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || (range.integer && !Number.isInteger(n))) return undefined;
  if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) return undefined;
  if (range.above !== undefined && n <= range.above) return undefined;
  return n;
}

/** The range in words: "a whole number from 0 to 60000". */
export function describeRange(range: NumberRange): string {
  const what = range.integer ? 'a whole number' : 'a number';
  if (range.above !== undefined) return `${what} greater than ${range.above}`;
  if (range.min !== undefined && range.max !== undefined) return `${what} from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return `${what} >= ${range.min}`;
  if (range.max !== undefined) return `${what} <= ${range.max}`;
  return what;
}

/** One of the choices, exactly as written. */
export function readChoice<T extends string>(text: string, choices: readonly T[]): T | undefined {
  return (choices as readonly string[]).includes(text) ? (text as T) : undefined;
}
