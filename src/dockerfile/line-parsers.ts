/**
 * An instruction line into keyword, flags and arguments, with BuildKit's per-instruction rules
 * (frontend/dockerfile/parser: splitCommand, extractBuilderFlags and line_parsers.go): which instructions take
 * exec (JSON) form, which split on blanks, which are KEY=VALUE lists, and what BuildKit rejects.
 * Arguments are left as BuildKit's parser leaves them: quotes are removed later, per instruction.
 */
import { isGoSpace } from './shell-lexer.js';

export interface SplitLine {
  keyword: string;
  /** Offsets in the line of the keyword. */
  keywordStart: number;
  keywordEnd: number;
  flags: { text: string; start: number; end: number }[];
  /** Offsets of the arguments after the flags, blanks trimmed. */
  restStart: number;
  restEnd: number;
}

export interface LineArgs {
  args: string[];
  json: string[] | undefined;
  error: string | undefined;
}

/** Go's regexp [\t\v\f\r ]. */
function isSplitBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 13;
}

/** Go's unicode.IsSpace applied to a UTF-16 unit (BuildKit applies it to bytes in the flag and HEALTHCHECK scans). */
function isByteSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0;
}

export function splitLine(line: string, escape: string): SplitLine {
  let s = 0;
  let e = line.length;
  while (s < e && isGoSpace(line.codePointAt(s)!)) s++;
  while (e > s && isGoSpace(line.charCodeAt(e - 1))) e--;
  let k = s;
  while (k < e && !isSplitBlank(line.charCodeAt(k))) k++;
  const out: SplitLine = { keyword: line.slice(s, k), keywordStart: s, keywordEnd: k, flags: [], restStart: e, restEnd: e };
  if (k === e) return out;
  let a = k;
  while (a < e && isSplitBlank(line.charCodeAt(a))) a++;
  if (/[^\x00-\x7f]/.test(line.slice(a, e))) extractFlagsBytes(line, a, e, escape, out);
  else extractFlags(line, a, e, escape, out);
  while (out.restStart < out.restEnd && isGoSpace(line.codePointAt(out.restStart)!)) out.restStart++;
  return out;
}

/**
 * BuildKit scans flags byte by byte and writes each byte as a character: a non-ASCII flag comes out as its
 * UTF-8 bytes read as Latin-1 (`é` as `Ã©`), and the bytes 0x85 and 0xA0 inside a character split words.
 * Done the same way here on the UTF-8 bytes, with offsets mapped back (a split inside a character rounds up).
 */
function extractFlagsBytes(line: string, from: number, to: number, escape: string, out: SplitLine): void {
  const text = line.slice(from, to);
  const bytes = Buffer.from(text, 'utf8');
  const toChar: number[] = new Array(bytes.length + 1);
  let b = 0;
  for (let c = 0; c < text.length;) {
    const cp = text.codePointAt(c)!;
    const units = cp > 0xffff ? 2 : 1;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    toChar[b] = from + c;
    for (let k = 1; k < n; k++) toChar[b + k] = from + c + units;
    b += n;
    c += units;
  }
  toChar[bytes.length] = to;
  const inner: SplitLine = { keyword: '', keywordStart: 0, keywordEnd: 0, flags: [], restStart: 0, restEnd: 0 };
  extractFlags(bytes.toString('latin1'), 0, bytes.length, escape, inner);
  out.flags = inner.flags.map((f) => ({ text: f.text, start: toChar[f.start]!, end: toChar[f.end]! }));
  out.restStart = toChar[inner.restStart]!;
}

/** Leading `--name[=value]` words (quotes and escapes removed); `--` alone ends them. */
function extractFlags(line: string, from: number, to: number, escape: string, out: SplitLine): void {
  const esc = escape.charCodeAt(0);
  let pos = from;
  for (;;) {
    while (pos < to && isByteSpace(line.charCodeAt(pos))) pos++;
    if (pos >= to) {
      out.restStart = to;
      return;
    }
    if (!(line.charCodeAt(pos) === 45 && pos + 1 < to && line.charCodeAt(pos + 1) === 45)) {
      out.restStart = pos;
      return;
    }
    const start = pos;
    let word = '';
    let blankOK = false;
    let quote = 0;
    for (; pos < to; pos++) {
      const c = line.charCodeAt(pos);
      if (quote !== 0) {
        if (c === quote) {
          quote = 0;
          continue;
        }
        if (c === esc) {
          if (pos + 1 === to) {
            quote = 0;
            continue;
          }
          pos++;
        }
        word += line[pos];
        continue;
      }
      if (isByteSpace(c)) break;
      if (c === 39 || c === 34) {
        quote = c;
        blankOK = true;
        continue;
      }
      if (c === esc) {
        if (pos + 1 === to) continue;
        pos++;
      }
      word += line[pos];
    }
    if (word === '--') {
      // `--` ends the flags; what follows (blanks trimmed) is the rest.
      out.restStart = pos;
      return;
    }
    if (blankOK || word.length > 0) out.flags.push({ text: word, start, end: pos });
    if (pos >= to) {
      out.restStart = to;
      return;
    }
  }
}

const NOT_STRINGS = 'when using JSON array syntax, arrays must be comprised of strings only';

/** BuildKit's parseJSON: a JSON array of strings, `undefined` when not JSON, or the error for non-strings. */
function parseJson(rest: string): { json: string[] | undefined; error: string | undefined } {
  if (rest.charCodeAt(0) !== 91 /* [ */) return { json: undefined, error: undefined };
  // An array's JSON text ends with `]` and JSON blanks: anything else (a shell `[ -f x ] && …`) would only
  // make JSON.parse throw, and a thrown SyntaxError (its stack captured) costs far more than this look.
  let end = rest.length - 1;
  while (end > 0 && isJsonBlank(rest.charCodeAt(end))) end--;
  if (rest.charCodeAt(end) !== 93 /* ] */) return { json: undefined, error: undefined };
  let v: unknown;
  try {
    v = JSON.parse(rest);
  } catch {
    return { json: undefined, error: undefined };
  }
  if (!Array.isArray(v)) return { json: undefined, error: undefined };
  for (const x of v) {
    if (typeof x !== 'string') {
      // Go's decoder refuses nesting past 10000 levels: then it is not JSON at all, just shell form.
      if (jsonDepth(rest) > 10000) return { json: undefined, error: undefined };
      return { json: undefined, error: NOT_STRINGS };
    }
  }
  return { json: v as string[], error: undefined };
}

function isJsonBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function jsonDepth(s: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** Go's regexp.Split(s, n) on [\t\v\f\r ]+. */
function splitBlanks(s: string, limit: number): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length && (limit < 0 || out.length < limit - 1)) {
    if (isSplitBlank(s.charCodeAt(i))) {
      let j = i + 1;
      while (j < s.length && isSplitBlank(s.charCodeAt(j))) j++;
      out.push(s.slice(start, i));
      start = j;
      i = j;
    } else i++;
  }
  out.push(s.slice(start));
  return out;
}

/** BuildKit's parseWords: words split on blanks, quotes and escapes kept, blanks inside quotes kept. */
export function parseWords(rest: string, escape: string): string[] {
  const esc = escape.codePointAt(0)!;
  const words: string[] = [];
  let inWord = false;
  let quote = 0;
  let blankOK = false;
  // A word is a run of `rest` as written (BuildKit keeps its quotes and escapes; only an escape ending the
  // text is dropped), so it is sliced, not built a character at a time.
  let start = 0;
  let end = 0;
  const n = rest.length;
  for (let pos = 0; pos < n; ) {
    let c = rest.codePointAt(pos)!;
    let w = c > 0xffff ? 2 : 1;
    if (!inWord) {
      if (isGoSpace(c)) {
        pos += w;
        continue;
      }
      inWord = true;
      start = end = pos;
    }
    if (quote === 0) {
      if (isGoSpace(c)) {
        inWord = false;
        if (blankOK || end > start) words.push(rest.slice(start, end));
        blankOK = false;
        pos += w;
        continue;
      }
      if (c === 39 || c === 34) {
        quote = c;
        blankOK = true;
      }
      if (c === esc) {
        if (pos + w === n) {
          pos += w;
          continue;
        }
        pos += w;
        c = rest.codePointAt(pos)!;
        w = c > 0xffff ? 2 : 1;
      }
      pos += w;
      end = pos;
      continue;
    }
    // Inside quotes.
    if (c === quote) quote = 0;
    if (c === esc && quote !== 39) {
      if (pos + w === n) {
        quote = 0;
        pos += w;
        continue;
      }
      pos += w;
      c = rest.codePointAt(pos)!;
      w = c > 0xffff ? 2 : 1;
    }
    pos += w;
    end = pos;
  }
  if (inWord && (blankOK || end > start)) words.push(rest.slice(start, end));
  return words;
}

function keyValues(rest: string, what: string, escape: string): LineArgs {
  const words = parseWords(rest, escape);
  if (words.length === 0) return { args: [], json: undefined, error: undefined };
  if (!words[0]!.includes('=')) {
    const parts = splitBlanks(rest, 2);
    if (parts.length < 2) return { args: [], json: undefined, error: `${what} must have two arguments` };
    return { args: [parts[0]!, parts[1]!, ''], json: undefined, error: undefined };
  }
  const args: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq === -1) return { args: [], json: undefined, error: `Syntax error - can't find = in "${w}". Must be of the form: name=value` };
    args.push(w.slice(0, eq), w.slice(eq + 1), '=');
  }
  return { args, json: undefined, error: undefined };
}

function maybeJson(rest: string, toList: boolean): LineArgs {
  const { json, error } = parseJson(rest);
  if (error) return { args: [], json: undefined, error };
  if (json) return { args: json, json, error: undefined };
  if (rest === '') return { args: [], json: undefined, error: undefined };
  return { args: toList ? splitBlanks(rest, -1) : [rest], json: undefined, error: undefined };
}

function healthcheck(rest: string): LineArgs {
  let sep = 0;
  while (sep < rest.length && !isByteSpace(rest.charCodeAt(sep))) sep++;
  if (sep === 0) return { args: [], json: undefined, error: undefined };
  let next = sep;
  while (next < rest.length && isByteSpace(rest.charCodeAt(next))) next++;
  const cmd = maybeJson(rest.slice(next), false);
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json, error: cmd.error };
}

/** The arguments BuildKit's parser gives the instruction `keyword` (not ONBUILD, which wraps a line). */
export function lineArgs(keyword: string, rest: string, escape: string): LineArgs {
  switch (keyword.toLowerCase()) {
    case 'add':
    case 'copy':
    case 'volume':
      return maybeJson(rest, true);
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      return maybeJson(rest, false);
    case 'arg':
      return { args: parseWords(rest, escape), json: undefined, error: undefined };
    case 'env':
      return keyValues(rest, 'ENV', escape);
    case 'label':
      return keyValues(rest, 'LABEL', escape);
    case 'expose':
    case 'from':
      return { args: rest === '' ? [] : splitBlanks(rest, -1), json: undefined, error: undefined };
    case 'healthcheck':
      return healthcheck(rest);
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      return { args: rest === '' ? [] : [rest], json: undefined, error: undefined };
    default:
      // BuildKit keeps an unknown instruction with one empty argument.
      return { args: [''], json: undefined, error: undefined };
  }
}
