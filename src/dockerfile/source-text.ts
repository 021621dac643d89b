/** A Dockerfile's text with its line table: offsets <-> 1-based line/column ranges (end inclusive). */
import type { SourceRange } from '../findings.js';

/** Half-open offset span [start, end) into the text with the BOM removed. */
export interface Span {
  start: number;
  end: number;
}

export class SourceText {
  /** Offset of the first character of each physical line. */
  readonly lineStarts: number[];
  readonly hadBom: boolean;
  /** The dominant line ending, reused when a fix inserts lines. */
  readonly eol: '\n' | '\r\n';
  readonly text: string;

  constructor(raw: string) {
    this.hadBom = raw.charCodeAt(0) === 0xfeff;
    this.text = this.hadBom ? raw.slice(1) : raw;
    const starts = [0];
    let crlf = 0;
    const t = this.text;
    for (let i = t.indexOf('\n'); i !== -1; i = t.indexOf('\n', i + 1)) {
      if (i > 0 && t.charCodeAt(i - 1) === 13) crlf++;
      starts.push(i + 1);
    }
    this.lineStarts = starts;
    this.eol = crlf * 2 > starts.length - 1 && crlf > 0 ? '\r\n' : '\n';
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 0-based line index holding the offset. */
  lineIndexAt(offset: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Physical line text without its line ending (a trailing CR is dropped too). */
  lineText(index: number): string {
    const start = this.lineStarts[index]!;
    const next = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1]! - 1 : this.text.length;
    let end = next;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }

  /** End offset (exclusive) of the content of a line, before its CR/LF. */
  lineEnd(index: number): number {
    return this.lineStarts[index]! + this.lineText(index).length;
  }

  /** 1-based range of a span, end inclusive; an empty span points at its start. */
  range(span: Span): SourceRange {
    const startLine = this.lineIndexAt(span.start);
    const last = Math.max(span.start, span.end - 1);
    const endLine = this.lineIndexAt(last);
    return {
      startLine: startLine + 1,
      startColumn: span.start - this.lineStarts[startLine]! + 1,
      endLine: endLine + 1,
      endColumn: last - this.lineStarts[endLine]! + 1,
    };
  }
}
