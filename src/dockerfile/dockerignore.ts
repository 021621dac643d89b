/**
 * `.dockerignore` semantics as moby's patternmatcher implements them: comments, `!` exceptions where the
 * last matching line wins, `**` across directories, patterns cleaned and rooted at the context, and a
 * path excluded when it or any of its parent directories matches.
 */
import { posix } from 'node:path';

export interface IgnorePattern {
  text: string;
  exclusion: boolean;
  regex: RegExp;
  /** 1-based line in the .dockerignore file. */
  line: number;
}

export class DockerIgnore {
  readonly patterns: IgnorePattern[];
  readonly hasExceptions: boolean;

  constructor(patterns: IgnorePattern[]) {
    this.patterns = patterns;
    this.hasExceptions = patterns.some((p) => p.exclusion);
  }

  static parse(text: string): DockerIgnore {
    const patterns: IgnorePattern[] = [];
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    lines.forEach((rawLine, idx) => {
      let line = rawLine.replace(/\r$/, '').trim();
      if (line === '' || line.startsWith('#')) return;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      if (line === '') return;
      line = posix.normalize(line);
      line = line.replace(/^\/+/, '').replace(/\/+$/, '');
      if (line === '' || line === '.') line = '.';
      patterns.push({ text: line, exclusion, regex: globRegex(line), line: idx + 1 });
    });
    return new DockerIgnore(patterns);
  }

  /** Whether a context-relative path (POSIX, no leading ./) is left out of the context. */
  excludes(path: string): boolean {
    if (this.patterns.length === 0) return false;
    const parents = parentPaths(path);
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let hit = p.regex.test(path);
      if (!hit) for (const parent of parents) if (p.regex.test(parent)) { hit = true; break; }
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }

  /** True when no file below `dir` can be included again (no exception pattern): skip walking it. */
  prunes(dir: string): boolean {
    return !this.hasExceptions && this.excludes(dir);
  }
}

function parentPaths(path: string): string[] {
  const out: string[] = [];
  let k = path.indexOf('/');
  while (k !== -1) {
    out.push(path.slice(0, k));
    k = path.indexOf('/', k + 1);
  }
  return out;
}

/** A glob (`*`, `?`, `**`, `[...]`, `\` escapes) as an anchored regex over POSIX paths. */
export function globRegex(pattern: string): RegExp {
  let re = '^';
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
      } else {
        let cls = pattern.slice(i + 1, close);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < n) {
      i++;
      re += escapeRegex(pattern[i]!);
    } else {
      re += escapeRegex(c);
    }
  }
  re += '$';
  try {
    return new RegExp(re);
  } catch {
    return new RegExp(`^${escapeRegex(pattern)}$`);
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
