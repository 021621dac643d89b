/** Flag parsers, the progress display and the exit rule the bench subcommands share. */
import { UsageError } from '../../errors.js';
import type { Progress } from '../../progress.js';
import type { CliContext } from '../cli-context.js';
import type { ProgressMode } from '../progress-sinks.js';
import { LiveLine } from './live-line.js';
import { reachesThreshold, type Finding, type Severity } from '../../findings.js';
import { parseDurationFlag, parseNumberFlag } from '../option-parsers.js';

/** `30s`, `5m`, `1h`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  return parseDurationFlag(text, flag, 's');
}

export function parsePositive(text: string, flag: string, integer = true): number {
  return parseNumberFlag(text, flag, { above: 0, integer });
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

/**
 * bench's own live display (a status line with its figures, lasting lines for what finished) for the
 * terminal and plain modes of `--progress`; NDJSON and none are the shared sinks.
 */
export function benchSink(c: CliContext, make: (live: LiveLine) => Progress): (mode: ProgressMode) => Progress | undefined {
  return (mode) => {
    if (mode === 'ndjson' || mode === 'none') return undefined;
    return make(new LiveLine({ stderr: c.io.stderr, quiet: false, ...(mode === 'auto' ? {} : { tty: mode === 'tty' }) }));
  };
}
