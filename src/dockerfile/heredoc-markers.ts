/**
 * Heredoc markers of an instruction line, found the way BuildKit's parser finds them (heredocsFromLine): the line
 * is split into shell words with quotes and escapes kept, and only a word that starts with `[fd]<<` (spaces
 * allowed after `<<`) and names one word is a heredoc. So `"<<EOF"`, `'s/<<EOF/x/'`, `\<<EOF`, `$((x<<y))`,
 * `cat<<EOF` and `<<<x` are not heredocs; `<<  EOF`, `<<'one two'`, `<<$EOF` and `<<eo'f'` are.
 */
import { lex } from './shell-lexer.js';

export interface HeredocMarker {
  /** The terminator: the word with quotes removed. */
  name: string;
  fd: number | undefined;
  /** No part of the word was quoted: the body is expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator. */
  chomp: boolean;
  /** Offsets of the marker word in the line. */
  start: number;
  end: number;
}

// BuildKit: ^(\d*)<<(-?)\s*([^<]*)$ with Go's \s (ASCII space, tab, LF, FF, CR).
const MARKER = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

/** The markers of `line` in order, or BuildKit's error when a marker word cannot be lexed. */
export function heredocMarkers(line: string): { markers: HeredocMarker[]; error: string | undefined; limited: string | undefined } {
  const all = lex(line, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  const markers: HeredocMarker[] = [];
  // BuildKit ignores a lexing error of the whole line: it then finds no heredoc at all.
  if (all.limited) return { markers, error: undefined, limited: all.limited };
  for (let w = 0; w < all.words.length; w++) {
    const word = all.words[w]!;
    if (!word.includes('<<')) continue;
    const m = MARKER.exec(word);
    if (!m || m[3] === '') continue;
    const rest = m[3]!;
    const plain = lex(rest, { skipUnsetEnv: true });
    if (plain.error || plain.limited) return { markers, error: plain.error, limited: plain.limited };
    if (plain.words.length !== 1) continue;
    const raw = lex(rest, { skipUnsetEnv: true, rawQuotes: true });
    if (raw.error || raw.limited) return { markers, error: raw.error, limited: raw.limited };
    if (raw.words.length !== 1) return { markers, error: `internal lexing of heredoc produced inconsistent results: ${rest}`, limited: undefined };
    const name = plain.words[0]!;
    const start = all.starts[w]!;
    markers.push({
      name,
      fd: m[1] === '' ? undefined : Number(m[1]),
      expand: quotes(name) === quotes(raw.words[0]!),
      chomp: m[2] === '-',
      start,
      end: Math.min(line.length, start + word.length),
    });
  }
  return { markers, error: undefined, limited: undefined };
}

function quotes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 39) n++;
  }
  return n;
}
