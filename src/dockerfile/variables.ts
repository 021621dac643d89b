/**
 * Dockerfile variable substitution and quote removal as BuildKit's dispatcher does it: `processWord` is
 * BuildKit's ProcessWord (quotes and escapes removed, $VAR, ${VAR}, ${VAR:-word}, ${VAR+word}, ${VAR#pat},
 * ${VAR/a/b}…) for the words of ENV, ARG, FROM, COPY, WORKDIR… A variable that is not known is left as
 * written, so two unresolved references to the same name still compare equal. Nesting and output size are
 * bounded: past a limit the word is left as written and the limit is reported, never a crash.
 */
import { lex, MAX_NESTING, MAX_OUTPUT } from './shell-lexer.js';
import { parseWords, lineArgs } from './line-parsers.js';
import type { Instruction } from './parser.js';

export type Vars = ReadonlyMap<string, string>;

export interface ProcessedWord {
  value: string;
  /** BuildKit would fail on this word (unterminated quote, bad substitution…): `value` is the word as written. */
  error: string | undefined;
  /** A limit of this implementation was reached: `value` is the word as written. */
  limited: string | undefined;
}

/** BuildKit's ProcessWord: one word, quotes and escapes removed, variables substituted. */
export function processWord(word: string, vars: Vars, escape = '\\'): ProcessedWord {
  if (!/["'$\\`]/.test(word)) return { value: word, error: undefined, limited: undefined };
  const r = lex(word, { skipUnsetEnv: true, escape, noWords: true }, (name) => vars.get(name));
  if (r.error || r.limited) return { value: word, error: r.error, limited: r.limited };
  return { value: r.value, error: undefined, limited: undefined };
}

/**
 * Substitutes variables in a word that keeps its quotes (a shell word of a RUN already split by the caller):
 * `\$` gives `$`, nothing else is unquoted.
 */
export function expandVars(word: string, vars: Vars, escape = '\\'): string {
  if (!word.includes('$')) return word;
  const out = expand(word, vars, escape, 0, { left: MAX_OUTPUT });
  return out ?? word;
}

/** undefined when a limit was reached (nesting or output size). */
function expand(word: string, vars: Vars, escape: string, depth: number, budget: { left: number }): string | undefined {
  if (depth > MAX_NESTING) return undefined;
  let out = '';
  let i = 0;
  const n = word.length;
  while (i < n) {
    const c = word[i]!;
    if (c === escape && word[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    const next = word.indexOf('$', i);
    if (c !== '$') {
      // Copy the literal run up to the next `$` or escape at once: linear in the word.
      let e = next === -1 ? n : next;
      const esc = word.indexOf(escape, i + 1);
      if (esc !== -1 && esc < e) e = esc;
      if (e === i) e = i + 1;
      out += word.slice(i, e);
      i = e;
      continue;
    }
    if (word[i + 1] === '{') {
      const close = findClose(word, i + 2);
      if (close === -1) {
        out += word.slice(i);
        break;
      }
      const sub = braced(word.slice(i + 2, close), word.slice(i, close + 1), vars, escape, depth, budget);
      if (sub === undefined) return undefined;
      out += sub;
      i = close + 1;
    } else {
      let e = i + 1;
      if (e < n && /[A-Za-z_]/.test(word[e]!)) {
        e++;
        while (e < n && /[A-Za-z0-9_]/.test(word[e]!)) e++;
      }
      if (e === i + 1) {
        out += '$';
        i++;
        continue;
      }
      const name = word.slice(i + 1, e);
      out += vars.get(name) ?? `$${name}`;
      i = e;
    }
    budget.left -= out.length;
    if (budget.left < 0) return undefined;
  }
  return out;
}

function findClose(s: string, from: number): number {
  let depth = 1;
  for (let k = from; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return k;
  }
  return -1;
}

const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/;

function braced(inner: string, written: string, vars: Vars, escape: string, depth: number, budget: { left: number }): string | undefined {
  const m = BRACED.exec(inner);
  if (!m) return written;
  const [, name, op, rest] = m;
  const v = vars.get(name!);
  if (!op) return v ?? written;
  const set = op.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
  if (op.endsWith('-')) return set ? v! : expand(rest ?? '', vars, escape, depth + 1, budget);
  return set ? expand(rest ?? '', vars, escape, depth + 1, budget) : '';
}

export interface KeyValue {
  key: string;
  /** The value as written (quotes kept); undefined for `ARG NAME` without a default. */
  value: string | undefined;
}

/** The KEY=VALUE pairs of an ENV, LABEL or ARG instruction from BuildKit's parse, values as written. */
export function instructionKeyValues(inst: Instruction): KeyValue[] {
  const out: KeyValue[] = [];
  if (inst.keyword === 'ARG') {
    for (const w of inst.args) {
      const eq = w.indexOf('=');
      out.push(eq === -1 ? { key: w, value: undefined } : { key: w.slice(0, eq), value: w.slice(eq + 1) });
    }
    return out;
  }
  if (inst.keyword !== 'ENV' && inst.keyword !== 'LABEL') return out;
  for (let k = 0; k + 1 < inst.args.length; k += 3) out.push({ key: inst.args[k]!, value: inst.args[k + 1]! });
  return out;
}

/**
 * KEY=VALUE pairs of ENV, ARG and LABEL arguments with quotes removed, or the legacy `ENV KEY value` form
 * (`legacy`); a name without `=` has no value. Variables are not substituted.
 */
export function parseKeyValues(args: string, legacy: boolean, escape = '\\'): { key: string; value: string | undefined }[] {
  const rest = args.trim();
  let pairs: KeyValue[];
  if (legacy) {
    const parsed = lineArgs('ENV', rest, escape);
    pairs = [];
    for (let k = 0; k + 1 < parsed.args.length; k += 3) pairs.push({ key: parsed.args[k]!, value: parsed.args[k + 1]! });
    if (parsed.error) {
      // `ENV KEY` alone: BuildKit rejects it; read it as a name without a value.
      pairs = parseWords(rest, escape).map((w) => ({ key: w, value: undefined }));
    }
  } else {
    pairs = parseWords(rest, escape).map((w) => {
      const eq = w.indexOf('=');
      return eq === -1 ? { key: w, value: undefined } : { key: w.slice(0, eq), value: w.slice(eq + 1) };
    });
  }
  const none = new Map<string, string>();
  return pairs.map((p) => ({ key: p.key, value: p.value === undefined ? undefined : processWord(p.value, none, escape).value }));
}
