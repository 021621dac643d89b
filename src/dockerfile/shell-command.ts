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

/** The control operator starting at p, if any (longest first: `&&` before `&`). */
function operatorAt(s: string, p: number): Separator | undefined {
  switch (s.charCodeAt(p)) {
    case 38: return s.charCodeAt(p + 1) === 38 ? '&&' : '&';
    case 124: return s.charCodeAt(p + 1) === 124 ? '||' : '|';
    case 59: return ';';
    case 10: return '\n';
    case 40: return '(';
    case 41: return ')';
    default: return undefined;
  }
}

/** What the lexer saw besides commands: what a RUN join or an appended cleanup must not cross. */
export interface ScriptFacts {
  /** A `#` comment reaches the shell (it would swallow anything appended after it). */
  comment: boolean;
  /** `<<` (a shell heredoc), `$((` (arithmetic, may assign) or `${name:=…}` / `${name=…}` (assigns). */
  stateful: boolean;
}

/** A run of characters that cannot end a word nor start a quote or escape (`&` is checked by the loop). */
const PLAIN = /[^ \t\n\r;|()&\\'"]+/y;
/** A run inside double quotes without a closing quote or a backslash. */
const QUOTED = /[^"\\]+/y;

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
  // Character codes, not one-character strings: this loop runs cold (interpreted) over every RUN linted.
  while (p < n) {
    const c = script.charCodeAt(p);
    if (c === 32 || c === 9 || c === 13) { // blank, tab, CR
      p++;
      continue;
    }
    if (c === 35 && (p === 0 || /\s/.test(script[p - 1]!) || script[p - 1] === ';' || script[p - 1] === '&' || script[p - 1] === '|')) { // #
      if (facts) facts.comment = true;
      const eol = script.indexOf('\n', p);
      p = eol === -1 ? n : eol;
      continue;
    }
    if (c === 92 && script.charCodeAt(p + 1) === 10) { // backslash newline
      p += 2;
      continue;
    }
    if (c === 92 && script.charCodeAt(p + 1) === 13 && script.charCodeAt(p + 2) === 10) {
      p += 3;
      continue;
    }
    const op = c === 38 || c === 124 || c === 59 || c === 10 || c === 40 || c === 41 ? operatorAt(script, p) : undefined;
    if (op) {
      // `2>&1`, `>&2` and `&>` are redirections, not the background operator
      if (op === '&' && (script.charCodeAt(p - 1) === 62 || script.charCodeAt(p + 1) === 62)) {
        // fall through to word lexing
      } else {
        flush(op, p, p + op.length);
        p += op.length;
        continue;
      }
    }
    // A word: plain runs are taken as slices (this lexer runs over every RUN of every file linted)
    const start = p;
    let value = '';
    let run = p;
    while (p < n) {
      // Characters that neither end the word nor quote are skipped by a native regex, not one by one in JS.
      PLAIN.lastIndex = p;
      if (PLAIN.test(script)) {
        p = PLAIN.lastIndex;
        if (p >= n) break;
      }
      const d = script.charCodeAt(p);
      if (d === 32 || d === 9 || d === 10 || d === 13 || d === 59 || d === 124 || d === 40 || d === 41) break; // blank ; | ( )
      if (d === 38 && !(script.charCodeAt(p - 1) === 62 || script.charCodeAt(p + 1) === 62)) break; // & but not >& &>
      if (d === 92) { // backslash
        value += script.slice(run, p);
        if (script.charCodeAt(p + 1) !== 10) value += script[p + 1] ?? '';
        p += 2;
        run = p;
        continue;
      }
      if (d === 39) { // single quote
        value += script.slice(run, p);
        const close = script.indexOf("'", p + 1);
        const e = close === -1 ? n : close;
        value += script.slice(p + 1, e);
        p = e + 1;
        run = p;
        continue;
      }
      if (d === 34) { // double quote
        value += script.slice(run, p);
        p++;
        let seg = p;
        while (p < n) {
          QUOTED.lastIndex = p;
          if (QUOTED.test(script)) {
            p = QUOTED.lastIndex;
            if (p >= n) break;
          }
          if (script.charCodeAt(p) === 34) break;
          const e = script.charCodeAt(p) === 92 && p + 1 < n ? script.charCodeAt(p + 1) : -1;
          if (e === 34 || e === 92 || e === 36 || e === 96 || e === 10) { // \" \\ \$ \` \newline
            value += script.slice(seg, p);
            if (script[p + 1] !== '\n') value += script[p + 1];
            p += 2;
            seg = p;
            continue;
          }
          p++;
        }
        value += script.slice(seg, Math.min(p, n));
        p++;
        run = p;
        continue;
      }
      p++;
    }
    if (run < p) value += script.slice(run, Math.min(p, n));
    const end = Math.min(p, n);
    if (end > start) {
      if ((value === '{' || value === '}') && end - start === 1) {
        flush(value, start, end);
      } else {
        // a word without quotes or escapes is its own raw text: one string, not two equal ones
        words.push({ value, raw: run === start ? value : script.slice(start, end), start, end });
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
