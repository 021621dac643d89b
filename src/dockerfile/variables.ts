/**
 * Dockerfile variable substitution ($VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}),
 * as BuildKit's shell lexer does it for COPY, WORKDIR, ENV, USER… A variable that is not known is left as
 * written, so two unresolved references to the same name still compare equal.
 */

export type Vars = ReadonlyMap<string, string>;

export function expandVars(word: string, vars: Vars, escape = '\\'): string {
  if (!word.includes('$')) return word;
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
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (word[i + 1] === '{') {
      const close = findClose(word, i + 2);
      if (close === -1) {
        out += word.slice(i);
        break;
      }
      const inner = word.slice(i + 2, close);
      out += expandBraced(inner, word.slice(i, close + 1), vars, escape);
      i = close + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1));
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const name = m[0];
    const v = vars.get(name);
    out += v ?? `$${name}`;
    i += 1 + name.length;
  }
  return out;
}

function findClose(s: string, from: number): number {
  let depth = 1;
  for (let k = from; k < s.length; k++) {
    if (s[k] === '{') depth++;
    else if (s[k] === '}' && --depth === 0) return k;
  }
  return -1;
}

function expandBraced(inner: string, written: string, vars: Vars, escape: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(inner);
  if (!m) return written;
  const [, name, op, rest] = m;
  const v = vars.get(name!);
  if (!op) return v ?? written;
  const set = op.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
  if (op.endsWith('-')) return set ? v! : expandVars(rest ?? '', vars, escape);
  return set ? expandVars(rest ?? '', vars, escape) : '';
}

/** KEY=VALUE pairs of ENV, ARG and LABEL (quotes removed), or the legacy `ENV KEY value` form. */
export function parseKeyValues(args: string, legacy: boolean): { key: string; value: string | undefined }[] {
  const out: { key: string; value: string | undefined }[] = [];
  const trimmed = args.trim();
  if (legacy && !/^[^\s=]+=/.test(trimmed)) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
    if (m) out.push({ key: m[1]!, value: m[2] ?? '' });
    return out;
  }
  let i = 0;
  const n = trimmed.length;
  while (i < n) {
    while (i < n && /\s/.test(trimmed[i]!)) i++;
    if (i >= n) break;
    let key = '';
    while (i < n && trimmed[i] !== '=' && !/\s/.test(trimmed[i]!)) key += trimmed[i++];
    if (trimmed[i] !== '=') {
      out.push({ key, value: undefined });
      continue;
    }
    i++;
    let value = '';
    while (i < n && !/\s/.test(trimmed[i]!)) {
      const c = trimmed[i]!;
      if (c === '"' || c === "'") {
        const close = trimmed.indexOf(c, i + 1);
        const e = close === -1 ? n : close;
        value += trimmed.slice(i + 1, e).replace(c === '"' ? /\\(["\\$])/g : /$^/, '$1');
        i = e + 1;
        continue;
      }
      if (c === '\\' && i + 1 < n) {
        value += trimmed[i + 1];
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    out.push({ key, value });
  }
  return out;
}
