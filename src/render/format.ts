/** Human formatting of figures: bytes, durations, percentages. */

export { count, formatBytes, formatDuration } from '../units.js';
import { formatBytes, formatDuration } from '../units.js';

export function formatPercent(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)}%`;
}

/** Evidence value with its unit, humanised where the unit is known. */
export function formatValue(value: number | string | boolean, unit?: string): string {
  if (typeof value !== 'number') return unit ? `${value} ${unit}` : String(value);
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'bytes/s':
      return `${formatBytes(value)}/s`;
    case 'ms':
      return formatDuration(value);
    case 's':
      return formatDuration(value * 1000);
    case '%':
      return formatPercent(value);
    case undefined:
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
    default:
      return `${Number.isInteger(value) ? value : value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
  }
}
