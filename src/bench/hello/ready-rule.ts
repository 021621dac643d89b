/**
 * When a HelloBench container counts as ready (HelloBench's categories): it exits 0 (`exit`: distro,
 * languages, gcc), a line of its output matches (`log:REGEX`: databases), or a published port answers HTTP 200
 * (`http:PORT/PATH`: web servers).
 */
import { UsageError } from '../../errors.js';

export type ReadyRule =
  | { kind: 'exit' }
  | { kind: 'log'; pattern: string }
  | { kind: 'http'; port: number; path: string };

/** Parses `exit`, `log:REGEX` or `http:PORT/PATH` (PATH defaults to `/`); a bad rule is a usage error. */
export function parseReadyRule(text: string, flag = '--ready'): ReadyRule {
  if (text === 'exit') return { kind: 'exit' };
  if (text.startsWith('log:')) {
    const pattern = text.slice(4);
    if (!pattern) throw new UsageError(`${flag} log: needs a regular expression, as in log:ready to accept`);
    try {
      new RegExp(pattern);
    } catch (err) {
      throw new UsageError(`${flag} ${text}: not a regular expression (${(err as Error).message})`);
    }
    return { kind: 'log', pattern };
  }
  if (text.startsWith('http:')) {
    const m = /^http:(\d{1,5})(\/.*)?$/.exec(text);
    const port = m ? Number(m[1]) : NaN;
    if (!m || port < 1 || port > 65535) throw new UsageError(`${flag} ${text}: expected http:PORT/PATH with a port 1-65535, as in http:80/`);
    return { kind: 'http', port, path: m[2] ?? '/' };
  }
  throw new UsageError(`${flag} takes exit, log:REGEX or http:PORT/PATH, not "${text}"`);
}

/** The rule as the user writes it. */
export function readyRuleText(rule: ReadyRule): string {
  switch (rule.kind) {
    case 'exit': return 'exit';
    case 'log': return `log:${rule.pattern}`;
    case 'http': return `http:${rule.port}${rule.path}`;
  }
}
