/**
 * BuildKit's shell word lexer (frontend/dockerfile/shell/lex.go) as the Dockerfile frontend uses it: quote and
 * escape removal, `$VAR`/`${VAR…}` substitution, word splitting, and `<<` kept whole for heredoc detection.
 * Its quirks are BuildKit's (a nested `${…}` restarts the shared word buffer; a raw escape inside double quotes
 * is written twice) because the parse must match BuildKit's, not a shell's. Never throws: a lexing error or a
 * limit (nesting depth, output size) comes back in the result.
 */

export interface LexOptions {
  /** Keep quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
  /** The escape character: `\` or a backtick. */
  escape?: string;
  /** Only the processed text is wanted (ProcessWord): skip splitting it into words. */
  noWords?: boolean;
}

export type EnvLookup = (name: string) => string | undefined;

export interface LexResult {
  /** The processed text (ProcessWord). */
  value: string;
  /** The text split into words after substitution (ProcessWords). */
  words: string[];
  /** Offset in the input where each word started. */
  starts: number[];
  /** BuildKit's error, when it would fail on this text. */
  error: string | undefined;
  /** A limit of this implementation was reached: the result is not BuildKit's. */
  limited: string | undefined;
}

/** Deeper `${…}` nesting than this is reported, not followed (real Dockerfiles use a handful of levels). */
export const MAX_NESTING = 64;
/** Output larger than this (characters) is reported, not built. */
export const MAX_OUTPUT = 1 << 18;

const EOF = -1;
const noEnv: EnvLookup = () => undefined;

class LexFailure {
  constructor(readonly message: string, readonly limit: boolean) {}
}

export function isGoSpace(c: number): boolean {
  if (c <= 0xff) return c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function isLetter(c: number): boolean {
  if (c < 0x80) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return LETTER.test(String.fromCodePoint(c));
}

function isDigit(c: number): boolean {
  if (c < 0x80) return c >= 48 && c <= 57;
  return DIGIT.test(String.fromCodePoint(c));
}

function isSpecialParam(c: number): boolean {
  // @ * # ? - $ ! 0
  return c === 64 || c === 42 || c === 35 || c === 63 || c === 45 || c === 36 || c === 33 || c === 48;
}

/** A word list sharing the lexer's buffer, as BuildKit's wordsStruct shares shellWord.wordsBuffer. */
class Words {
  words: string[] = [];
  starts: number[] = [];
  inWord = false;
  constructor(private readonly lx: Lexer) {}

  addChar(c: number, at: number): void {
    if (isGoSpace(c)) {
      if (this.inWord && this.lx.buf.length !== 0) {
        this.words.push(this.lx.buf);
        this.starts.push(this.lx.bufStart);
        this.lx.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(String.fromCodePoint(c), at);
    }
  }

  addRaw(s: string, at: number): void {
    if (this.lx.buf.length === 0) this.lx.bufStart = at;
    this.lx.buf += s;
    this.inWord = true;
  }

  addString(s: string, at: number): void {
    for (const ch of s) this.addChar(ch.codePointAt(0)!, at);
  }

  get(): void {
    if (this.lx.buf.length > 0) {
      this.words.push(this.lx.buf);
      this.starts.push(this.lx.bufStart);
      this.lx.buf = '';
      this.inWord = false;
    }
  }
}

class Lexer {
  pos = 0;
  buf = '';
  bufStart = 0;
  depth = 0;
  rawEscapes: boolean;
  readonly escape: number;
  constructor(
    private readonly s: string,
    private readonly opts: LexOptions,
    private readonly env: EnvLookup,
  ) {
    this.rawEscapes = opts.rawEscapes === true;
    this.escape = (opts.escape ?? '\\').charCodeAt(0);
  }

  peek(): number {
    return this.pos < this.s.length ? this.s.codePointAt(this.pos)! : EOF;
  }

  next(): number {
    if (this.pos >= this.s.length) return EOF;
    const c = this.s.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    return c;
  }

  stopOn(stop: number, rawEscapes: boolean): { result: string; words: Words } {
    if (++this.depth > MAX_NESTING) throw new LexFailure(`variable substitution nested deeper than ${MAX_NESTING} levels`, true);
    let result = '';
    this.buf = '';
    const words = new Words(this);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      for (;;) {
        const c = this.peek();
        if (c === EOF) break;
        const at = this.pos;
        if (stop !== EOF && c === stop) {
          this.next();
          words.get();
          return { result, words };
        }
        if (c === 36 /* $ */ || c === 60 /* < */ || c === 39 /* ' */ || c === 34 /* " */) {
          const tmp = c === 36 ? this.dollar() : c === 60 ? this.possibleHeredoc() : c === 39 ? this.singleQuote() : this.doubleQuote();
          result += tmp;
          if (this.opts.noWords) {
            // ProcessWord needs only the text.
          } else if (c === 36) words.addString(tmp, at);
          else words.addRaw(tmp, at);
        } else {
          // A run of plain characters (ASCII, not blank, quote, $, <, the escape or the stop) is taken as one
          // slice: a character at a time, each was a String.fromCodePoint and two concatenations.
          const s = this.s;
          let k = at;
          while (k < s.length) {
            const d = s.charCodeAt(k);
            if (d <= 32 || d >= 0x80 || d === 36 || d === 60 || d === 39 || d === 34 || d === this.escape || d === stop) break;
            k++;
          }
          if (k > at) {
            const run = s.slice(at, k);
            this.pos = k;
            words.addRaw(run, at);
            result += run;
            if (result.length > MAX_OUTPUT) throw new LexFailure(`a word longer than ${MAX_OUTPUT} characters`, true);
            continue;
          }
          let ch = this.next();
          if (ch === this.escape) {
            if (this.rawEscapes) {
              words.addRaw(String.fromCodePoint(ch), at);
              result += String.fromCodePoint(ch);
            }
            ch = this.next();
            if (ch === EOF) break;
            words.addRaw(String.fromCodePoint(ch), at);
          } else {
            words.addChar(ch, at);
          }
          result += String.fromCodePoint(ch);
        }
        if (result.length > MAX_OUTPUT) throw new LexFailure(`a word longer than ${MAX_OUTPUT} characters`, true);
      }
      if (stop !== EOF) throw new LexFailure(`unexpected end of statement while looking for matching ${String.fromCodePoint(stop)}`, false);
      words.get();
      return { result, words };
    } finally {
      this.rawEscapes = saved;
      this.depth--;
    }
  }

  singleQuote(): string {
    let result = '';
    const q = this.next();
    if (this.opts.rawQuotes) result += String.fromCodePoint(q);
    const close = this.s.indexOf("'", this.pos);
    if (close === -1) {
      this.pos = this.s.length;
      throw new LexFailure('unexpected end of statement while looking for matching single-quote', false);
    }
    result += this.s.slice(this.pos, close);
    this.pos = close + 1;
    if (this.opts.rawQuotes) result += "'";
    return result;
  }

  doubleQuote(): string {
    let result = '';
    const q = this.next();
    if (this.opts.rawQuotes) result += String.fromCodePoint(q);
    for (;;) {
      const c = this.peek();
      if (c === EOF) throw new LexFailure('unexpected end of statement while looking for matching double-quote', false);
      if (c === 34) {
        this.next();
        if (this.opts.rawQuotes) result += '"';
        return result;
      }
      if (c === 36) {
        result += this.dollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) result += String.fromCodePoint(ch);
        const p = this.peek();
        if (p === EOF) continue;
        if (p === 34 || p === 36 || p === this.escape) ch = this.next();
      }
      result += String.fromCodePoint(ch);
      if (result.length > MAX_OUTPUT) throw new LexFailure(`a word longer than ${MAX_OUTPUT} characters`, true);
    }
  }

  name(): string {
    let name = '';
    for (;;) {
      const c = this.peek();
      if (c === EOF) break;
      if (name === '' && isDigit(c)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += String.fromCodePoint(this.next());
        return name;
      }
      if (name === '' && isSpecialParam(c)) {
        this.next();
        return String.fromCodePoint(c);
      }
      if (!isLetter(c) && !isDigit(c) && c !== 95) break;
      name += String.fromCodePoint(this.next());
    }
    return name;
  }

  dollar(): string {
    this.next();
    if (this.peek() !== 123 /* { */) {
      const name = this.name();
      if (name === '') return '$';
      const v = this.env(name);
      if (v === undefined) return this.opts.skipUnsetEnv ? `$${name}` : '';
      return v;
    }
    this.next();
    const p = this.peek();
    if (p === EOF) throw new LexFailure("syntax error: missing '}'", false);
    if (p === 123 || p === 125 || p === 58) throw new LexFailure('syntax error: bad substitution', false);
    const name = this.name();
    let ch = this.next();
    let chs = ch === EOF ? '\ufffd' : String.fromCodePoint(ch);
    let nullIsUnset = false;
    if (ch === 125 /* } */) {
      const v = this.env(name);
      if (v === undefined) return this.opts.skipUnsetEnv ? `\${${name}}` : '';
      return v;
    }
    if (ch === 58 /* : */) {
      nullIsUnset = true;
      ch = this.next();
      chs += ch === EOF ? '\ufffd' : String.fromCodePoint(ch);
    } else if (ch === 47 /* / */) {
      return this.replace(name);
    } else if (!(ch === 43 || ch === 45 || ch === 63 || ch === 35 || ch === 37)) {
      throw new LexFailure(`unsupported modifier (${chs}) in substitution`, false);
    }
    const raw = ch === 35 || ch === 37;
    if (nullIsUnset && raw) throw new LexFailure(`unsupported modifier (${chs}) in substitution`, false);
    let word: string;
    try {
      word = this.stopOn(125, raw).result;
    } catch (e) {
      if (e instanceof LexFailure && !e.limit && this.peek() === EOF) throw new LexFailure("syntax error: missing '}'", false);
      throw e;
    }
    const value = this.env(name);
    const set = value !== undefined;
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    const empty = !set || (nullIsUnset && value === '');
    switch (ch) {
      case 45: // -
        return empty ? word : value!;
      case 43: // +
        return empty ? '' : word;
      case 63: // ?
        if (!set) throw new LexFailure(`${name}: ${word || 'is not allowed to be unset'}`, false);
        if (nullIsUnset && value === '') throw new LexFailure(`${name}: ${word || 'is not allowed to be empty'}`, false);
        return value!;
      case 35: // #
      case 37: { // %
        let pattern = word;
        let greedy = false;
        if (pattern.length > 0 && pattern.charCodeAt(0) === ch) {
          greedy = true;
          pattern = pattern.slice(1);
        }
        return ch === 37 ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy);
      }
      default:
        throw new LexFailure(`unsupported modifier (${chs}) in substitution`, false);
    }
  }

  replace(name: string): string {
    const all = this.peek() === 47;
    if (all) this.next();
    const stopped = (stop: number, missing: string): string => {
      try {
        return this.stopOn(stop, true).result;
      } catch (e) {
        if (e instanceof LexFailure && !e.limit && this.peek() === EOF) throw new LexFailure(missing, false);
        throw e;
      }
    };
    const pattern = stopped(47, "syntax error: missing '/' in ${}");
    const replacement = stopped(125, "syntax error: missing '}'");
    const value = this.env(name);
    if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    return replacePattern(pattern, replacement, value ?? '', all);
  }

  possibleHeredoc(): string {
    this.next();
    if (this.peek() !== 60) return '<';
    this.next();
    let space = '';
    // BuildKit's isWhitespace here is the text/scanner one: space, tab, newline, CR.
    for (let c = this.peek(); c === 32 || c === 9 || c === 10 || c === 13; c = this.peek()) {
      space += String.fromCodePoint(c);
      this.next();
    }
    return `<<${space}`;
  }
}

/** A glob token: a literal character, `?` (any one character) or `*` (any run). */
type Glob = ({ kind: 'lit'; ch: string } | { kind: 'any' } | { kind: 'star' })[];

/** BuildKit's shell pattern (`*`, `?`, `\\` escapes; no brackets); a bad escape is BuildKit's error. */
function globTokens(pattern: string): Glob {
  const out: Glob = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') out.push({ kind: 'star' });
    else if (c === '?') out.push({ kind: 'any' });
    else if (c === '\\') {
      const n = chars[i + 1];
      // `}` and `/` are escaped only to get through `${…}`: the escape is not part of the pattern.
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') throw new LexFailure(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`, false);
      out.push({ kind: 'lit', ch: n });
    } else out.push({ kind: 'lit', ch: c });
  }
  return out;
}

/**
 * Ends (in code points) of the matches of `glob` starting at `from` in `chars`, found by running the pattern
 * as an automaton: O(length x pattern), never the exponential backtracking a JavaScript regular expression
 * can take (BuildKit's Go expressions are linear too).
 */
function matchEnds(glob: Glob, chars: string[], from: number): number[] {
  const m = glob.length;
  let states = new Uint8Array(m + 1);
  const close = (st: Uint8Array) => {
    for (let j = 0; j < m; j++) if (st[j] && glob[j]!.kind === 'star') st[j + 1] = 1;
  };
  states[0] = 1;
  close(states);
  const ends: number[] = [];
  if (states[m]) ends.push(from);
  for (let i = from; i < chars.length; i++) {
    const next = new Uint8Array(m + 1);
    let any = false;
    for (let j = 0; j < m; j++) {
      if (!states[j]) continue;
      const t = glob[j]!;
      // BuildKit's patterns become Go regular expressions, where `.` does not match a newline.
      if (t.kind === 'star') {
        if (chars[i] === '\n') continue;
        next[j] = 1;
      } else if ((t.kind === 'any' && chars[i] !== '\n') || (t.kind === 'lit' && t.ch === chars[i])) next[j + 1] = 1;
      else continue;
      any = true;
    }
    if (!any) break;
    close(next);
    states = next;
    if (states[m]) ends.push(i + 1);
  }
  return ends;
}

/** Past this much work (characters x pattern length), a substitution is a limit, not a hang. */
const MAX_MATCH_WORK = 1 << 22;

function guard(value: string, glob: Glob, starts: number): void {
  if ((value.length + 1) * (glob.length + 1) * starts > MAX_MATCH_WORK) throw new LexFailure('pattern substitution on a value too large to match', true);
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const glob = globTokens(pattern);
  guard(value, glob, 1);
  const chars = [...value];
  const ends = matchEnds(glob, chars, 0);
  if (ends.length === 0) return value;
  return chars.slice(greedy ? ends[ends.length - 1]! : ends[0]!).join('');
}

function reversePattern(p: string): string {
  const chars = [...p];
  const out: string[] = new Array(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last;) {
    const t = chars[i]!;
    if (t === '\\' && i !== last) {
      out[last - i - 1] = t;
      out[last - i] = chars[i + 1]!;
      i += 2;
    } else {
      out[last - i] = t;
      i++;
    }
  }
  return out.join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const rev = (s: string) => [...s].reverse().join('');
  return rev(trimPrefix(reversePattern(pattern), rev(value), greedy));
}

/** `${VAR/pattern/replacement}` (first match) and `${VAR//…}` (all): leftmost matches, stars greedy. */
function replacePattern(pattern: string, replacement: string, value: string, all: boolean): string {
  const glob = globTokens(pattern);
  const chars = [...value];
  guard(value, glob, chars.length + 1);
  let out = '';
  let i = 0;
  let replaced = false;
  while (i <= chars.length) {
    const ends = replaced && !all ? [] : matchEnds(glob, chars, i);
    if (ends.length > 0) {
      const end = ends[ends.length - 1]!;
      out += replacement;
      replaced = true;
      if (end > i) {
        i = end;
        continue;
      }
    }
    if (i < chars.length) out += chars[i]!;
    i++;
  }
  return out;
}

/** Runs BuildKit's lexer over `text`. */
export function lex(text: string, opts: LexOptions = {}, env: EnvLookup = noEnv): LexResult {
  const lx = new Lexer(text, opts, env);
  try {
    const { result, words } = lx.stopOn(EOF, lx.rawEscapes);
    return { value: result, words: words.words, starts: words.starts, error: undefined, limited: undefined };
  } catch (e) {
    if (e instanceof LexFailure) return { value: '', words: [], starts: [], error: e.limit ? undefined : e.message, limited: e.limit ? e.message : undefined };
    // A RangeError from a deep stack is a limit too; anything else is a bug and must surface.
    if (e instanceof RangeError) return { value: '', words: [], starts: [], error: undefined, limited: `input too complex (${e.message})` };
    throw e;
  }
}
