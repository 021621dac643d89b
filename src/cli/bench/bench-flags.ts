/** Flag parsers and the exit rule the bench subcommands share. */
import { UsageError } from '../../errors.js';
import { reachesThreshold, type Finding, type Severity } from '../../findings.js';

/** `30s`, `5m`, `1h`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} takes a duration such as 30s, 5m or 1h, not "${text}"`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
}

export function parsePositive(text: string, flag: string, integer = true): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} takes a ${integer ? 'whole ' : ''}number greater than 0, not "${text}"`);
  }
  return n;
}

/** Splits a command line like a POSIX shell does for words and quotes (no expansion). */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unclosed ${quote} in --cmd`);
  if (inWord) words.push(cur);
  return words;
}

/** Repeated `--flag value`: commander's collector. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function setExitFor(findings: readonly Finding[], failOn: Severity | undefined, setExit: (code: number) => void): void {
  if (failOn && reachesThreshold(findings, failOn)) setExit(1);
}
