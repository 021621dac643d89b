/**
 * Splits a RUN's shell script into simple commands and words, honouring quotes and backslashes, so rules
 * can see `chown -R app /app` inside `a && chown -R app /app; b`. Positions are offsets into the script.
 * This is deliberately a lexer, not a shell: control structures just become more commands.
 */

export interface Word {
  /** Quotes removed, backslash escapes resolved; variables left as written. */
  value: string;
  /** As written. */
  raw: string;
  start: number;
  end: number;
}

export type Separator = '&&' | '||' | ';' | '|' | '&' | '\n' | '(' | ')' | '{' | '}' | '';

export interface SimpleCommand {
  words: Word[];
  /** Offsets of the first and past the last word. */
  start: number;
  end: number;
  /** The operator before this command ('' for the first) and after it ('' for the last). */
  before: Separator;
  after: Separator;
  /** Offsets of the separator after this command, when there is one. */
  afterStart: number;
  afterEnd: number;
}

const OPERATORS: Separator[] = ['&&', '||', ';', '|', '&', '\n', '(', ')'];

/** What the lexer saw besides commands: what a RUN join or an appended cleanup must not cross. */
export interface ScriptFacts {
  /** A `#` comment reaches the shell (it would swallow anything appended after it). */
  comment: boolean;
  /** `<<` (a shell heredoc), `$((` (arithmetic, may assign) or `${name:=…}` / `${name=…}` (assigns). */
  stateful: boolean;
}

/** Splits a script into simple commands; never throws (an unterminated quote runs to the end). */
export function splitCommands(script: string, facts?: ScriptFacts): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  // Looked for in the whole text, quotes or not: a false alarm only withholds a fix.
  if (facts && /<<|\$\(\(|\$\{[A-Za-z_][A-Za-z0-9_]*:?=/.test(script)) facts.stateful = true;
  let words: Word[] = [];
  let before: Separator = '';
  const flush = (after: Separator, afterStart: number, afterEnd: number) => {
    if (words.length > 0) {
      // `{` and `}` group commands; treat them as separators when they stand alone
      commands.push({ words, start: words[0]!.start, end: words[words.length - 1]!.end, before, after, afterStart, afterEnd });
      words = [];
      before = after;
    } else if (after !== '\n') {
      before = after;
    }
  };
  const n = script.length;
  let p = 0;
  while (p < n) {
    const c = script[p]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      p++;
      continue;
    }
    if (c === '#' && (p === 0 || /\s/.test(script[p - 1]!) || script[p - 1] === ';' || script[p - 1] === '&' || script[p - 1] === '|')) {
      if (facts) facts.comment = true;
      while (p < n && script[p] !== '\n') p++;
      continue;
    }
    if (c === '\\' && script[p + 1] === '\n') {
      p += 2;
      continue;
    }
    if (c === '\\' && script[p + 1] === '\r' && script[p + 2] === '\n') {
      p += 3;
      continue;
    }
    const op = OPERATORS.find((o) => script.startsWith(o, p));
    if (op) {
      // `2>&1`, `>&2` and `&>` are redirections, not the background operator
      if (op === '&' && (script[p - 1] === '>' || script[p + 1] === '>')) {
        // fall through to word lexing
      } else {
        flush(op, p, p + op.length);
        p += op.length;
        continue;
      }
    }
    // A word
    const start = p;
    let value = '';
    while (p < n) {
      const d = script[p]!;
      if (d === ' ' || d === '\t' || d === '\n' || d === '\r') break;
      if (d === ';' || d === '|' || d === '(' || d === ')') break;
      if (d === '&' && !(script[p - 1] === '>' || script[p + 1] === '>')) break;
      if (d === '\\') {
        if (script[p + 1] === '\n') {
          p += 2;
          continue;
        }
        value += script[p + 1] ?? '';
        p += 2;
        continue;
      }
      if (d === "'") {
        const close = script.indexOf("'", p + 1);
        const e = close === -1 ? n : close;
        value += script.slice(p + 1, e);
        p = e + 1;
        continue;
      }
      if (d === '"') {
        p++;
        while (p < n && script[p] !== '"') {
          if (script[p] === '\\' && p + 1 < n && '"\\$`\n'.includes(script[p + 1]!)) {
            if (script[p + 1] !== '\n') value += script[p + 1];
            p += 2;
            continue;
          }
          value += script[p];
          p++;
        }
        p++;
        continue;
      }
      value += d;
      p++;
    }
    const end = Math.min(p, n);
    if (end > start) {
      if ((value === '{' || value === '}') && end - start === 1) {
        flush(value, start, end);
      } else {
        words.push({ value, raw: script.slice(start, end), start, end });
      }
    } else {
      p++;
    }
  }
  flush('', n, n);
  return commands;
}

/** Reserved words that open or continue a compound command: the program is the word after them. */
const LEADING_RESERVED = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!']);

/** The program a command runs, skipping `sudo`, `env A=b`, `VAR=x` assignments, `exec` and `do`/`then`/`!`. */
export function commandName(cmd: SimpleCommand): { name: string; index: number } {
  let i = 0;
  const w = cmd.words;
  while (i < w.length) {
    const v = w[i]!.value;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      i++;
      continue;
    }
    if (LEADING_RESERVED.has(v) && i < w.length - 1) {
      i++;
      continue;
    }
    if (v === 'sudo' || v === 'exec' || v === 'nice' || v === 'time' || v === 'command') {
      i++;
      while (i < w.length && w[i]!.value.startsWith('-')) i++;
      continue;
    }
    if (v === 'env') {
      i++;
      while (i < w.length && (w[i]!.value.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[i]!.value))) i++;
      continue;
    }
    break;
  }
  const word = w[i];
  if (!word) return { name: '', index: i };
  const base = word.value.slice(word.value.lastIndexOf('/') + 1);
  return { name: base, index: i };
}

/** Words after the program name. */
export function commandArgs(cmd: SimpleCommand): Word[] {
  return cmd.words.slice(commandName(cmd).index + 1);
}

/** Short options present (`-R`, `-Rf` → R and f; `--recursive` → recursive). */
export function hasOption(args: readonly Word[], short: string, long?: string): boolean {
  for (const a of args) {
    const v = a.value;
    if (v === '--') break;
    if (long && (v === `--${long}` || v.startsWith(`--${long}=`))) return true;
    if (/^-[A-Za-z]+$/.test(v) && v.includes(short)) return true;
  }
  return false;
}

/** Arguments that are not options. */
export function operands(args: readonly Word[]): Word[] {
  const out: Word[] = [];
  let opts = true;
  for (const a of args) {
    if (opts && a.value === '--') {
      opts = false;
      continue;
    }
    if (opts && a.value.startsWith('-') && a.value.length > 1) continue;
    out.push(a);
  }
  return out;
}
