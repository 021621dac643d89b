/**
 * A Dockerfile parser that never throws and parses as BuildKit's frontend/dockerfile/parser does (checked
 * against BuildKit's own parse in test/unit/dockerfile-conformance.test.ts): parser directives, the escape
 * directive, line continuations (comment and blank lines inside them skipped), flags, per-instruction
 * arguments, exec form, heredocs, CRLF and a BOM, with exact offsets for every part. What BuildKit rejects is
 * recorded as a problem on the file and parsing goes on, so one bad line never hides the rest.
 */
import { heredocMarkers } from './heredoc-markers.js';
import { lineArgs, splitLine } from './line-parsers.js';
import { isGoSpace } from './shell-lexer.js';
import { SourceText, type Span } from './source-text.js';

export interface Directive {
  /** Lower-cased: `syntax`, `escape` or `check`. */
  name: string;
  value: string;
  span: Span;
}

export interface Comment {
  text: string;
  span: Span;
}

export interface Flag {
  /** Lower-cased name without the leading `--`. */
  name: string;
  value: string | undefined;
  /** The flag as BuildKit reads it: `--name=value` with quotes and escapes removed. */
  text: string;
  span: Span;
}

export interface Heredoc {
  name: string;
  /** `<<-`: leading tabs stripped from the body and terminator. */
  stripTabs: boolean;
  /** Some part of the marker word was quoted (`<<"EOF"`, `<<eo'f'`): no expansion in the body. */
  quoted: boolean;
  /** The marker in the instruction line, e.g. `<<-EOF`. */
  markerSpan: Span;
  /** The body as written (line endings kept, tabs not yet stripped). */
  body: string;
  /** Physical span of the body (all lines between marker and terminator). */
  bodySpan: Span;
  /** False when the file ended before the terminator. */
  terminated: boolean;
}

/** A token of an instruction's arguments with its position. */
export interface Token {
  text: string;
  span: Span;
}

export interface Instruction {
  /** Upper-cased keyword as written (`RUN`, `COPY`, or garbage for unknown lines). */
  keyword: string;
  keywordSpan: Span;
  /** From the keyword to the end of the last line (heredoc terminators included). */
  span: Span;
  /** The instruction's logical line (BuildKit's `original`): continuations removed, comment lines inside dropped. */
  logical: string;
  /**
   * Physical offset of each character of `logical` (length logical.length + 1, last = end). Built on first
   * use: the parser keeps one run per physical line (offsetAt), as most instructions never need the array.
   */
  readonly map: number[];
  /** Offset into `logical` where the arguments start (after the keyword and blanks). */
  argsStart: number;
  /** Leading `--name[=value]` flags (any instruction, as BuildKit reads them). */
  flags: Flag[];
  /** Offset into `logical` after the flags. */
  restStart: number;
  /** The arguments after flags, as written, blanks trimmed. */
  rest: string;
  /** The arguments as BuildKit's parser gives them (JSON form decoded, KEY VALUE SEP triples for ENV/LABEL). */
  args: string[];
  /** Exec (JSON) form, when the arguments parse as a JSON array of strings. */
  json: string[] | undefined;
  heredocs: Heredoc[];
  /** The wrapped instruction of `ONBUILD`. */
  onbuild: Instruction | undefined;
  /** 0-based physical line of the keyword and of the last line. */
  startLine: number;
  endLine: number;
  /** Comments directly above the instruction (no blank line between). */
  leadingComments: Comment[];
}

export interface ParseProblem {
  /**
   * `syntax`: BuildKit rejects the file here. `limit`: past a limit of this parser (nesting, size), reported
   * instead of followed. `empty-continuation`: BuildKit's warning, the file is still accepted.
   */
  kind: 'escape-directive' | 'unterminated-heredoc' | 'binary' | 'empty-continuation' | 'syntax' | 'limit';
  message: string;
  span: Span;
}

export interface DockerfileAst {
  source: SourceText;
  directives: Directive[];
  escape: '\\' | '`';
  instructions: Instruction[];
  comments: Comment[];
  problems: ParseProblem[];
}

const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
// BuildKit: ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ after `#` and leading blanks (Go's \s: no \v).
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/s;
/** BuildKit's scanner refuses a line (with its newline) longer than this many bytes. */
const MAX_LINE_BYTES = 64 * 1024;
/** ONBUILD inside ONBUILD deeper than this is reported, not followed (BuildKit refuses even one level later). */
const MAX_ONBUILD_DEPTH = 8;

/**
 * `logical` -> physical offsets as runs: `runs` holds [logical start, physical start] pairs, one per piece
 * of a physical line taken into the logical line; index `length` maps to `end` (the last line's end).
 */
interface OffsetRuns {
  runs: number[];
  length: number;
  end: number;
}


function runOffset(o: OffsetRuns, k: number): number {
  if (k >= o.length) return o.end;
  const r = o.runs;
  let lo = 0;
  let hi = (r.length >> 1) - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (r[2 * mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return r[2 * lo + 1]! + (k - r[2 * lo]!);
}

function expandRuns(o: OffsetRuns): number[] {
  const map = new Array<number>(o.length + 1);
  const r = o.runs;
  for (let i = 0; i < r.length; i += 2) {
    const to = i + 2 < r.length ? r[i + 2]! : o.length;
    for (let k = r[i]!, p = r[i + 1]!; k < to; k++, p++) map[k] = p;
  }
  map[o.length] = o.end;
  return map;
}

/** The runs of logical [from, to] (to included: index to - from maps as `to` does). */
function sliceRuns(o: OffsetRuns, from: number, to: number): OffsetRuns {
  const runs: number[] = [];
  const r = o.runs;
  for (let i = 0; i < r.length; i += 2) {
    const a = Math.max(r[i]!, from);
    const b = Math.min(i + 2 < r.length ? r[i + 2]! : o.length, to);
    if (b > a) runs.push(a - from, r[i + 1]! + (a - r[i]!));
  }
  return { runs, length: to - from, end: runOffset(o, to) };
}

/** An instruction as the parser makes it: `map` is expanded from the offset runs on first use. */
class ParsedInstruction implements Instruction {
  keywordSpan: Span;
  span: Span;
  argsStart: number;
  flags: Flag[];
  args: string[] = [];
  json: string[] | undefined = undefined;
  heredocs: Heredoc[] = [];
  onbuild: Instruction | undefined = undefined;
  #map: number[] | undefined;

  constructor(
    readonly keyword: string,
    readonly logical: string,
    readonly offsets: OffsetRuns,
    split: ReturnType<typeof splitLine>,
    readonly restStart: number,
    readonly rest: string,
    public startLine: number,
    public endLine: number,
    public leadingComments: Comment[],
  ) {
    this.keywordSpan = this.logicalSpan(split.keywordStart, split.keywordEnd);
    this.span = { start: runOffset(offsets, split.keywordStart), end: offsets.end };
    this.argsStart = split.flags.length > 0 ? split.flags[0]!.start : split.restStart;
    this.flags = split.flags.map((f) => {
      const eq = f.text.indexOf('=');
      const name = f.text.slice(2, eq === -1 ? undefined : eq).toLowerCase();
      return { name, value: eq === -1 ? undefined : f.text.slice(eq + 1), text: f.text, span: this.logicalSpan(f.start, f.end) };
    });
  }

  get map(): number[] {
    return (this.#map ??= expandRuns(this.offsets));
  }

  logicalSpan(a: number, b: number): Span {
    const start = runOffset(this.offsets, a);
    return { start, end: b > a ? runOffset(this.offsets, b - 1) + 1 : start };
  }
}

/** `inst.map[k]` without building the array (k from 0 to logical.length). */
export function offsetAt(inst: Instruction, k: number): number {
  return inst instanceof ParsedInstruction ? runOffset(inst.offsets, k) : inst.map[k]!;
}

/** The first logical index at or after `from` whose physical offset is `offset`; -1 when none. */
export function logicalIndexOf(inst: Instruction, offset: number, from: number): number {
  if (!(inst instanceof ParsedInstruction)) return inst.map.indexOf(offset, from);
  const o = inst.offsets;
  const r = o.runs;
  for (let i = 0; i < r.length; i += 2) {
    const to = i + 2 < r.length ? r[i + 2]! : o.length;
    const k = r[i]! + (offset - r[i + 1]!);
    if (k >= r[i]! && k < to && k >= from) return k;
  }
  return o.end === offset && o.length >= from ? o.length : -1;
}

/** Parses any text; binary input gives one `binary` problem and no instructions. */
export function parseDockerfile(raw: string): DockerfileAst {
  const source = new SourceText(raw);
  const ast: DockerfileAst = { source, directives: [], escape: '\\', instructions: [], comments: [], problems: [] };
  const text = source.text;
  if (looksBinary(text)) {
    ast.problems.push({ kind: 'binary', message: 'not a text file (NUL bytes found)', span: { start: 0, end: Math.min(text.length, 1) } });
    return ast;
  }
  new LineParser(source, ast).run();
  return ast;
}

/** A physical line: its start, the end of its content (trailing CR/LF trimmed) and the end with its newline. */
interface PhysLine {
  start: number;
  end: number;
  next: number;
}

class LineParser {
  private readonly text: string;
  /** Physical lines as BuildKit's scanner yields them: no empty line after a final newline. */
  private readonly count: number;
  private directivesDone = false;
  private readonly seenDirectives = new Set<string>();

  constructor(
    private readonly source: SourceText,
    private readonly ast: DockerfileAst,
  ) {
    this.text = source.text;
    const n = source.lineCount;
    this.count = this.text.length === 0 ? 0 : this.text.endsWith('\n') ? n - 1 : n;
  }

  private line(i: number): PhysLine {
    const start = this.source.lineStarts[i]!;
    const next = i + 1 < this.source.lineCount ? this.source.lineStarts[i + 1]! : this.text.length;
    let end = next;
    while (end > start && (this.text.charCodeAt(end - 1) === 10 || this.text.charCodeAt(end - 1) === 13)) end--;
    return { start, end, next };
  }

  private problem(kind: ParseProblem['kind'], message: string, span: Span): void {
    this.ast.problems.push({ kind, message, span });
  }

  /** Go's unicode.IsSpace-trimmed start of [from, to). */
  private skipSpace(from: number, to: number): number {
    let k = from;
    while (k < to) {
      const c = this.text.codePointAt(k)!;
      if (!isGoSpace(c)) break;
      k += c > 0xffff ? 2 : 1;
    }
    return k;
  }

  /** BuildKit's directive parser: only valid names, only before anything else; a repeat is an error. */
  private directive(from: number, to: number): boolean {
    if (this.directivesDone) return false;
    if (from >= to || this.text.charCodeAt(from) !== 35) {
      this.directivesDone = true;
      return false;
    }
    const body = this.text.slice(this.skipSpace(from + 1, to), to);
    const m = DIRECTIVE_RE.exec(body);
    const name = m?.[1]!.toLowerCase();
    if (!m || !name || !VALID_DIRECTIVES.has(name)) {
      this.directivesDone = true;
      return false;
    }
    const span = { start: from, end: to };
    if (this.seenDirectives.has(name)) {
      this.problem('syntax', `only one ${name} parser directive can be used`, span);
      return false;
    }
    this.seenDirectives.add(name);
    const value = m[2]!;
    this.ast.directives.push({ name, value, span });
    if (name === 'escape') {
      if (value === '\\' || value === '`') this.ast.escape = value;
      else {
        this.problem('escape-directive', `invalid escape token '${value}' does not match \` or \\`, span);
        return false;
      }
    }
    return true;
  }

  /** BuildKit's line continuation: a trailing escape (blanks after it allowed) not itself escaped. */
  private continues(from: number, to: number): number {
    let k = to;
    while (k > from && (this.text.charCodeAt(k - 1) === 32 || this.text.charCodeAt(k - 1) === 9)) k--;
    if (k === from || this.text[k - 1] !== this.ast.escape) return -1;
    if (k - 1 === from) return from;
    return this.text[k - 2] === this.ast.escape ? -1 : k - 1;
  }

  run(): void {
    const { ast, text } = this;
    let pending: Comment[] = [];
    for (let i = 0; i < this.count; i++) {
      const first = this.line(i);
      this.checkLength(first);
      const from = this.skipSpace(first.start, first.end);
      const isDirective = this.directive(from, first.end);
      if (from < first.end && text.charCodeAt(from) === 35) {
        const c = { text: text.slice(from, first.end), span: { start: from, end: first.end } };
        ast.comments.push(c);
        if (!isDirective) pending.push(c);
        continue;
      }
      if (from === first.end) {
        pending = [];
        continue;
      }
      // Gather the logical line across continuations.
      const startLine = i;
      let logical = '';
      const runs: number[] = [];
      const take = (a: number, b: number) => {
        if (b <= a) return;
        runs.push(logical.length, a);
        logical += text.slice(a, b);
      };
      let cut = this.continues(from, first.end);
      take(from, cut === -1 ? first.end : cut);
      let lastEnd = first.end;
      let emptyLine = -1;
      while (cut !== -1 && i + 1 < this.count) {
        const l = this.line(++i);
        this.checkLength(l);
        this.directive(l.start, l.end);
        // One scan for both tests (a comment line, a blank line): past `end` only CR and LF remain.
        const k = this.skipSpace(l.start, l.end);
        if (k < l.end && text.charCodeAt(k) === 35) {
          ast.comments.push({ text: text.slice(k, l.end), span: { start: k, end: l.end } });
          continue;
        }
        if (k === l.end) {
          if (emptyLine === -1) emptyLine = i;
          continue;
        }
        cut = this.continues(l.start, l.end);
        take(l.start, cut === -1 ? l.end : cut);
        lastEnd = l.end;
      }
      const offsets: OffsetRuns = { runs, length: logical.length, end: lastEnd };
      if (emptyLine !== -1) {
        const at = this.source.lineStarts[emptyLine]!;
        this.problem('empty-continuation', `Empty continuation line found in: ${logical}`, { start: at, end: at });
      }
      const inst = this.instruction(logical, offsets, 0, startLine, i, pending);
      pending = [];
      i = this.heredocs(inst, i);
      inst.span = { start: inst.span.start, end: this.line(inst.endLine).end };
      ast.instructions.push(inst);
    }
    if (ast.instructions.length === 0 && ast.problems.every((p) => p.kind === 'empty-continuation')) {
      this.problem('syntax', 'file with no instructions', { start: text.length, end: text.length });
    }
  }

  private checkLength(l: PhysLine): void {
    const n = l.next - l.start;
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines need counting.
    if (n * 3 < MAX_LINE_BYTES || Buffer.byteLength(this.text.slice(l.start, l.next)) <= MAX_LINE_BYTES) return;
    this.problem('syntax', `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`, { start: l.start, end: l.end });
  }

  private instruction(logical: string, offsets: OffsetRuns, depth: number, startLine: number, endLine: number, comments: Comment[]): Instruction {
    const split = splitLine(logical, this.ast.escape);
    const keyword = split.keyword.toUpperCase();
    const rest = logical.slice(split.restStart, split.restEnd);
    const inst = new ParsedInstruction(keyword, logical, offsets, split, split.restStart, rest, startLine, endLine, comments);
    const where = inst.keywordSpan;
    if (keyword === 'ONBUILD') {
      if (rest === '') return inst;
      if (depth >= MAX_ONBUILD_DEPTH) {
        this.problem('limit', `ONBUILD nested more than ${MAX_ONBUILD_DEPTH} deep`, where);
        return inst;
      }
      const inner = this.instruction(rest, sliceRuns(offsets, split.restStart, split.restEnd), depth + 1, startLine, endLine, []);
      inner.keywordSpan = inner.keywordSpan.start === inner.keywordSpan.end ? where : inner.keywordSpan;
      inst.onbuild = inner;
      return inst;
    }
    const parsed = lineArgs(keyword, rest, this.ast.escape);
    inst.args = parsed.args;
    inst.json = parsed.json;
    if (parsed.error) this.problem('syntax', `${keyword}: ${parsed.error}`, inst.logicalSpan(split.restStart, split.restEnd));
    return inst;
  }

  /** Reads the heredoc bodies after the instruction's last line; returns the index of the last line used. */
  private heredocs(inst: Instruction, last: number): number {
    const target = inst.keyword === 'ONBUILD' ? inst.onbuild : inst;
    if (!target || !HEREDOC_KEYWORDS.has(target.keyword) || target.json || !inst.logical.includes('<<')) return last;
    const found = heredocMarkers(inst.logical);
    if (found.error) this.problem('syntax', `heredoc: ${found.error}`, inst.keywordSpan);
    if (found.limited) this.problem('limit', `heredoc: ${found.limited}`, inst.keywordSpan);
    let i = last;
    for (const m of found.markers) {
      const bodyStart = i + 1 < this.count ? this.line(i + 1).start : this.text.length;
      let terminated = false;
      while (i + 1 < this.count) {
        const l = this.line(++i);
        this.checkLength(l);
        let k = l.start;
        if (m.chomp) while (k < l.end && this.text.charCodeAt(k) === 9) k++;
        if (l.end - k === m.name.length && this.text.startsWith(m.name, k)) {
          terminated = true;
          break;
        }
      }
      const bodyEnd = terminated ? this.line(i).start : this.text.length;
      const markerSpan = { start: offsetAt(inst, m.start), end: offsetAt(inst, Math.max(m.start, m.end - 1)) + 1 };
      const heredoc: Heredoc = {
        name: m.name,
        stripTabs: m.chomp,
        quoted: !m.expand,
        markerSpan,
        body: this.text.slice(bodyStart, bodyEnd),
        bodySpan: { start: bodyStart, end: bodyEnd },
        terminated,
      };
      target.heredocs.push(heredoc);
      if (!terminated) {
        this.problem('unterminated-heredoc', `unterminated heredoc <<${m.name}: no line "${m.name}" ends it`, markerSpan);
        break;
      }
    }
    if (target !== inst) inst.heredocs = target.heredocs;
    inst.endLine = Math.max(last, Math.min(i, Math.max(0, this.count - 1)));
    if (target !== inst) target.endLine = inst.endLine;
    return i;
  }
}

/** A NUL in the first 8 kB (indexOf is native: a loop here would run interpreted over every file). */
function looksBinary(text: string): boolean {
  const k = text.indexOf('\0');
  return k !== -1 && k < 8192;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Physical span of a slice [from, to) of an instruction's logical line. */
export function logicalSpan(inst: Instruction, from: number, to: number): Span {
  const last = inst.logical.length;
  const start = offsetAt(inst, Math.min(from, last));
  if (to <= from) return { start, end: start };
  return { start, end: offsetAt(inst, Math.min(to - 1, last)) + 1 };
}

/** Whitespace-separated words of the arguments after flags (shell form of COPY, ADD, FROM…). */
export function restWords(inst: Instruction): Token[] {
  const words: Token[] = [];
  const s = inst.logical;
  let p = inst.restStart;
  while (p < s.length) {
    while (p < s.length && isBlank(s.charCodeAt(p))) p++;
    if (p >= s.length) break;
    let e = p;
    while (e < s.length && !isBlank(s.charCodeAt(e))) e++;
    words.push({ text: s.slice(p, e), span: logicalSpan(inst, p, e) });
    p = e;
  }
  return words;
}

export function flagValue(inst: Instruction, name: string): string | undefined {
  for (const f of inst.flags) if (f.name === name) return f.value ?? '';
  return undefined;
}
