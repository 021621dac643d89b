/** Flag values, read once for every command: each failure is a usage error naming the flag and the value. */
import { UsageError } from '../errors.js';
import {
  describeRange, readChoice, readDuration, readNumber, readShare, readSize, SIZE_EXAMPLES, type DurationUnit, type NumberRange,
} from '../config/value-parsers.js';

/** `--top 10`: a number in a range. */
export function parseNumberFlag(text: string, flag: string, range: NumberRange = {}): number {
  const n = readNumber(text, range);
  if (n === undefined) throw new UsageError(`${flag} takes ${describeRange(range)}, not "${text}"`);
  return n;
}

/** `--highest-wasted-bytes 20MB`: bytes. */
export function parseSizeFlag(text: string, flag: string): number {
  const n = readSize(text);
  if (n === undefined) throw new UsageError(`${flag} takes a size (${SIZE_EXAMPLES}), not "${text}"`);
  return n;
}

/** `--duration 5m`: milliseconds; a bare number is in `bareUnit`; optionally bounded (in ms). */
export function parseDurationFlag(text: string, flag: string, bareUnit: DurationUnit = 's', range: { min?: number; max?: number } = {}): number {
  const ms = readDuration(text, bareUnit);
  const bounds = range.max !== undefined ? ` from ${range.min ?? 0} ms to ${range.max} ms` : '';
  if (ms === undefined || (range.min !== undefined && ms < range.min) || (range.max !== undefined && ms > range.max)) {
    throw new UsageError(`${flag} takes a duration${bounds} such as 500ms, 30s or 5m (a bare number is in ${bareUnit}), not "${text}"`);
  }
  return ms;
}

/** `--lowest-efficiency 0.95` or `95%`: a share from 0 to 1. */
export function parsePercentFlag(text: string, flag: string): number {
  const v = readShare(text);
  if (v === undefined) throw new UsageError(`${flag} takes a share from 0 to 1 or a percentage (0.95, 95%), not "${text}"`);
  return v;
}

/** `--source export`: one of a fixed set. */
export function parseChoiceFlag<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const v = readChoice(text, choices);
  if (v === undefined) throw new UsageError(`${flag} takes ${choices.join(', ')}, not "${text}"`);
  return v;
}

/** `--only disk,io`: a comma-separated list, each one of the choices. */
export function parseChoiceListFlag<T extends string>(text: string | undefined, flag: string, choices: readonly T[]): T[] {
  if (!text) return [];
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseChoiceFlag(s, flag, choices));
}
