/** Terminal styling: colour only on a TTY and never when NO_COLOR is set (no-color.org). */
import type { Severity } from '../findings.js';

export interface Style {
  color: boolean;
  bold(text: string): string;
  dim(text: string): string;
  severity(severity: Severity, text: string): string;
}

const SEVERITY_CODES: Record<Severity, string> = { error: '31', warn: '33', info: '36' };

export function makeStyle(color: boolean): Style {
  const wrap = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    color,
    bold: (t) => wrap('1', t),
    dim: (t) => wrap('2', t),
    severity: (s, t) => wrap(SEVERITY_CODES[s], t),
  };
}

export function wantsColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}
