/**
 * A Dockerfile parser that never throws: parser directives, the escape directive, line continuations
 * (with comment and blank lines inside them), heredocs, CRLF and a BOM, with exact offsets for every part.
 * It follows BuildKit's frontend/dockerfile/parser rules; where the input is not a Dockerfile it records
 * problems instead of failing.
 */
import { SourceText, type Span } from './source-text.js';

export interface Directive {
  /** Lower-cased: `syntax`, `escape`, `check`… */
  name: string;
  value: string;
  span: Span;
}

export interface Comment {
  text: string;
  span: Span;
}

export interface Flag {
  name: string;
  value: string | undefined;
  span: Span;
}

export interface Heredoc {
  name: string;
  /** `<<-`: leading tabs stripped from the body and terminator. */
  stripTabs: boolean;
  /** `<<"EOF"` or `<<'EOF'`: no expansion in the body. */
  quoted: boolean;
  /** The marker in the instruction line, e.g. `<<-EOF`. */
  markerSpan: Span;
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
  /** The instruction's logical line: continuations removed, comment lines inside dropped. */
  logical: string;
  /** Physical offset of each character of `logical` (length logical.length + 1, last = end). */
  map: number[];
  /** Offset into `logical` where the arguments start (after the keyword and blanks). */
  argsStart: number;
  /** Leading `--name[=value]` flags (FROM, COPY, ADD, RUN, HEALTHCHECK). */
  flags: Flag[];
  /** Offset into `logical` after the flags. */
  restStart: number;
  /** The arguments after flags, as written. */
  rest: string;
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
  kind: 'escape-directive' | 'unterminated-heredoc' | 'binary' | 'empty-continuation';
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

const FLAG_KEYWORDS = new Set(['FROM', 'COPY', 'ADD', 'RUN', 'HEALTHCHECK']);
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const JSON_KEYWORDS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'SHELL', 'VOLUME']);
const DIRECTIVE_RE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const HEREDOC_RE = /(?<![<\\])<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\2/g;

/** Parses any text; binary input gives one `binary` problem and no instructions. */
export function parseDockerfile(raw: string): DockerfileAst {
  const source = new SourceText(raw);
  const ast: DockerfileAst = { source, directives: [], escape: '\\', instructions: [], comments: [], problems: [] };
  const text = source.text;
  if (looksBinary(text)) {
    ast.problems.push({ kind: 'binary', message: 'not a text file (NUL bytes found)', span: { start: 0, end: Math.min(text.length, 1) } });
    return ast;
  }
  const lineCount = source.lineCount;
  let i = 0;
  // Parser directives: only at the very top, before any blank line, comment or instruction.
  const seen = new Set<string>();
  for (; i < lineCount; i++) {
    const line = source.lineText(i);
    const m = DIRECTIVE_RE.exec(line);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (seen.has(name)) break;
    seen.add(name);
    const start = source.lineStarts[i]!;
    ast.directives.push({ name, value: m[2]!, span: { start, end: start + line.length } });
    ast.comments.push({ text: line, span: { start, end: start + line.length } });
    if (name === 'escape') {
      if (m[2] === '\\' || m[2] === '`') ast.escape = m[2];
      else ast.problems.push({ kind: 'escape-directive', message: `invalid escape character "${m[2]}" (only \\ and \` are allowed)`, span: { start, end: start + line.length } });
    }
  }
  const escape = ast.escape;
  let pendingComments: Comment[] = [];
  while (i < lineCount) {
    const line = source.lineText(i);
    const lineStart = source.lineStarts[i]!;
    const lead = leadingBlanks(line);
    if (lead === line.length) {
      pendingComments = [];
      i++;
      continue;
    }
    if (line.charCodeAt(lead) === 35 /* # */) {
      const c = { text: line.slice(lead), span: { start: lineStart + lead, end: lineStart + line.length } };
      ast.comments.push(c);
      pendingComments.push(c);
      i++;
      continue;
    }
    // Gather the logical line across continuations.
    let logical = '';
    const map: number[] = [];
    let lineIdx = i;
    let segStart = lineStart + lead;
    let segText = line.slice(lead);
    let lastEnd = lineStart + line.length;
    for (;;) {
      const cont = continuationCut(segText, escape);
      const keep = cont === -1 ? segText : segText.slice(0, cont);
      for (let k = 0; k < keep.length; k++) map.push(segStart + k);
      logical += keep;
      lastEnd = segStart + segText.length;
      if (cont === -1) break;
      // Skip comment lines and blank lines inside a continuation, as BuildKit does.
      let next = lineIdx + 1;
      let found = false;
      while (next < lineCount) {
        const t = source.lineText(next);
        const l = leadingBlanks(t);
        if (l === t.length) {
          ast.problems.push({ kind: 'empty-continuation', message: 'empty continuation line', span: { start: source.lineStarts[next]!, end: source.lineStarts[next]! } });
          next++;
          continue;
        }
        if (t.charCodeAt(l) === 35) {
          ast.comments.push({ text: t.slice(l), span: { start: source.lineStarts[next]! + l, end: source.lineStarts[next]! + t.length } });
          next++;
          continue;
        }
        found = true;
        break;
      }
      if (!found) {
        lineIdx = Math.max(lineIdx, next - 1);
        break;
      }
      lineIdx = next;
      segStart = source.lineStarts[next]!;
      segText = source.lineText(next);
    }
    map.push(lastEnd);
    const inst = buildInstruction(logical, map, i, lineIdx, pendingComments);
    pendingComments = [];
    // Heredocs consume the lines after the instruction.
    let endLine = lineIdx;
    let endOffset = lastEnd;
    if (HEREDOC_KEYWORDS.has(inst.keyword) || (inst.keyword === 'ONBUILD' && inst.onbuild && HEREDOC_KEYWORDS.has(inst.onbuild.keyword))) {
      const target = inst.keyword === 'ONBUILD' ? inst.onbuild! : inst;
      HEREDOC_RE.lastIndex = 0;
      const markers: { m: RegExpExecArray }[] = [];
      for (let m = HEREDOC_RE.exec(logical); m; m = HEREDOC_RE.exec(logical)) markers.push({ m });
      for (const { m } of markers) {
        const name = m[3]!;
        const stripTabs = m[1] === '-';
        const bodyStartLine = endLine + 1;
        let l = bodyStartLine;
        let terminated = false;
        for (; l < lineCount; l++) {
          let t = source.lineText(l);
          if (stripTabs) t = t.replace(/^\t+/, '');
          if (t === name) {
            terminated = true;
            break;
          }
        }
        const bodyStart = bodyStartLine < lineCount ? source.lineStarts[bodyStartLine]! : source.text.length;
        const bodyEnd = terminated ? source.lineStarts[l]! : source.text.length;
        const heredoc: Heredoc = {
          name,
          stripTabs,
          quoted: m[2] !== '',
          markerSpan: { start: map[m.index]!, end: map[m.index + m[0].length - 1]! + 1 },
          body: source.text.slice(bodyStart, Math.max(bodyStart, bodyEnd)),
          bodySpan: { start: bodyStart, end: Math.max(bodyStart, bodyEnd) },
          terminated,
        };
        target.heredocs.push(heredoc);
        if (!terminated) {
          ast.problems.push({ kind: 'unterminated-heredoc', message: `heredoc <<${name} has no terminating "${name}" line`, span: heredoc.markerSpan });
          endLine = lineCount - 1;
          endOffset = source.lineEnd(endLine);
          break;
        }
        endLine = l;
        endOffset = source.lineEnd(l);
      }
    }
    inst.endLine = endLine;
    inst.span = { start: inst.span.start, end: endOffset };
    if (inst.onbuild) inst.onbuild.endLine = endLine;
    ast.instructions.push(inst);
    i = endLine + 1;
  }
  return ast;
}

function looksBinary(text: string): boolean {
  const n = Math.min(text.length, 8192);
  for (let k = 0; k < n; k++) if (text.charCodeAt(k) === 0) return true;
  return false;
}

function leadingBlanks(s: string): number {
  let k = 0;
  while (k < s.length && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k++;
  return k;
}

/** Index where a trailing `escape[ \t]*` starts, or -1 when the line does not continue. */
function continuationCut(s: string, escape: string): number {
  let k = s.length;
  while (k > 0 && (s.charCodeAt(k - 1) === 32 || s.charCodeAt(k - 1) === 9)) k--;
  if (k > 0 && s[k - 1] === escape) return k - 1;
  return -1;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function buildInstruction(logical: string, map: number[], startLine: number, endLine: number, comments: Comment[]): Instruction {
  let k = 0;
  while (k < logical.length && !isBlank(logical.charCodeAt(k))) k++;
  const keyword = logical.slice(0, k).toUpperCase();
  let argsStart = k;
  while (argsStart < logical.length && isBlank(logical.charCodeAt(argsStart))) argsStart++;
  const inst: Instruction = {
    keyword,
    keywordSpan: { start: map[0]!, end: map[Math.max(0, k - 1)]! + 1 },
    span: { start: map[0]!, end: map[logical.length]! },
    logical,
    map,
    argsStart,
    flags: [],
    restStart: argsStart,
    rest: '',
    json: undefined,
    heredocs: [],
    onbuild: undefined,
    startLine,
    endLine,
    leadingComments: comments,
  };
  let p = argsStart;
  if (FLAG_KEYWORDS.has(keyword)) {
    while (logical.startsWith('--', p)) {
      let e = p;
      while (e < logical.length && !isBlank(logical.charCodeAt(e))) e++;
      const word = logical.slice(p + 2, e);
      const eq = word.indexOf('=');
      inst.flags.push({
        name: (eq === -1 ? word : word.slice(0, eq)).toLowerCase(),
        value: eq === -1 ? undefined : word.slice(eq + 1),
        span: { start: map[p]!, end: map[e - 1]! + 1 },
      });
      p = e;
      while (p < logical.length && isBlank(logical.charCodeAt(p))) p++;
    }
  }
  inst.restStart = p;
  inst.rest = logical.slice(p).replace(/[ \t]+$/, '');
  if (JSON_KEYWORDS.has(keyword) && inst.rest.startsWith('[')) inst.json = parseJsonArray(inst.rest);
  if (keyword === 'ONBUILD' && inst.rest.length > 0) {
    const innerMap = map.slice(p);
    const inner = buildInstruction(logical.slice(p), innerMap, startLine, endLine, []);
    inst.onbuild = inner;
  }
  return inst;
}

function parseJsonArray(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // shell form after all
  }
  return undefined;
}

/** Physical span of a slice [from, to) of an instruction's logical line. */
export function logicalSpan(inst: Instruction, from: number, to: number): Span {
  const start = inst.map[Math.min(from, inst.map.length - 1)]!;
  if (to <= from) return { start, end: start };
  return { start, end: inst.map[Math.min(to - 1, inst.map.length - 1)]! + 1 };
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
