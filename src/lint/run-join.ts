/**
 * Joining two consecutive RUNs into one, only where the joined script provably does what the two did:
 *   RUN A            RUN A && B          (B is an &&-list: a failure of A stops before B, as before)
 *   RUN B      →     RUN A && { B; }     (B is anything else: `set -e` in B still stops B, since a group
 *                                         that is the last of an AND-OR list is not in an -e-ignored context)
 * A must be one AND-OR list of plain commands that change no shell state B could see (no cd, umask, set,
 * exit, exec, export, assignments, traps…): then `sh -c "A && …"` runs B in the shell state a fresh
 * `sh -c B` starts with. Comments that reach the shell, shell heredocs and a SHELL instruction anywhere in
 * the file withhold the join. Comment lines between the two RUNs are kept (BuildKit and the legacy builder
 * drop comment lines inside a continued instruction); blank lines between them are dropped.
 * The proof is test/unit/lint-run-join.test.ts (both scripts run by /bin/sh and busybox sh).
 */
import type { DockerfileModel, Step } from '../dockerfile/instruction-model.js';
import { runCommands, runFacts, type TextEdit } from './rule-context.js';

/** Builtins and words whose effect outlives the command: after them, B would not start fresh. */
const STATEFUL = new Set(['cd', 'pushd', 'popd', 'umask', 'set', 'shopt', 'exit', 'return', 'exec', 'export', 'unset', 'readonly', 'local',
  'declare', 'typeset', 'alias', 'unalias', 'trap', '.', 'source', 'eval', 'read', 'shift', 'getopts', 'wait', 'ulimit', 'hash', 'break',
  'continue', 'builtin', 'command', 'enable', 'function', 'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case',
  'esac', 'select', '!', '[[', 'coproc', 'time', 'trap', 'history', 'fc', 'jobs', 'fg', 'bg', 'disown', 'suspend', 'logout']);

/** A plain shell-form RUN: no flags, heredocs or exec form; one inline script the default shell runs. */
function plainRun(s: Step): boolean {
  const i = s.inst;
  if (i.keyword !== 'RUN' || i.json || i.flags.length > 0 || i.heredocs.length > 0 || i.rest.trim() === '') return false;
  const cmds = runCommands(s);
  if (cmds.length === 0 || cmds.some((c) => !c.script.inline)) return false;
  const facts = runFacts(s);
  return !facts.comment && !facts.stateful;
}

/** Separators allowed inside one AND-OR list (pipes bind tighter; `;`, newline, `&`, groups end or nest it). */
const LIST_OPS = new Set(['', '&&', '||', '|']);

/** A is one AND-OR list of commands that leave no shell state behind. */
function stateless(s: Step): boolean {
  const cmds = runCommands(s);
  for (const c of cmds) {
    if (!LIST_OPS.has(c.cmd.before) || !LIST_OPS.has(c.cmd.after)) return false;
    const first = c.cmd.words[0]!.value;
    if (STATEFUL.has(first) || STATEFUL.has(c.name) || c.name === '') return false;
    // `VAR=x` alone assigns in the shell; `VAR=x cmd` only in cmd's environment
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first) && c.cmd.words.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value))) return false;
    if (c.cmd.after === '|' && c.index === cmds.length - 1) return false;
  }
  return true;
}

/** B may follow `&&` bare: only `&&` and pipes, so `A && B` groups as `A && (B)`. */
export function andList(s: Step): boolean {
  return runCommands(s).every((c) => (c.cmd.before === '' || c.cmd.before === '&&' || c.cmd.before === '|')
    && (c.cmd.after === '' || c.cmd.after === '&&' || c.cmd.after === '|'));
}

export interface Join {
  edits: TextEdit[];
  /** B was wrapped in `{ …; }`. */
  grouped: boolean;
}

/**
 * The edits that join RUN `a` with the next RUN `b` (consecutive in one stage), or undefined when the
 * joined script cannot be shown to do what the two did.
 */
export function joinRuns(model: DockerfileModel, a: Step, b: Step): Join | undefined {
  if (model.ast.instructions.some((i) => i.keyword === 'SHELL')) return undefined;
  if (!plainRun(a) || !plainRun(b) || !stateless(a)) return undefined;
  const bCmds = runCommands(b);
  const last = bCmds[bCmds.length - 1]!;
  // `{ B; }` needs B to end in a command: not `;`, `&` or an open operator
  if (last.cmd.after !== '') return undefined;
  const grouped = !andList(b);
  const src = model.ast.source;
  const esc = model.ast.escape;
  const eol = src.eol;
  const aEnd = src.lineEnd(a.inst.endLine);
  // Only blanks may follow A's script on its last line: its last character is the script's end.
  const aLast = runCommands(a)[runCommands(a).length - 1]!;
  const aScriptEnd = aLast.script.toFile(aLast.cmd.end - 1) + 1;
  if (src.text.slice(aScriptEnd, aEnd).trim() !== '') return undefined;
  // Comment lines between the RUNs stay inside the continued instruction; blank lines go.
  const between: string[] = [];
  for (let l = a.inst.endLine + 1; l < b.inst.startLine; l++) {
    const t = src.lineText(l);
    if (t.trim() === '') continue;
    if (!t.trim().startsWith('#')) return undefined;
    between.push(t);
  }
  const bRestAt = b.inst.map[b.inst.restStart]!;
  const bScriptEnd = last.script.toFile(last.cmd.end - 1) + 1;
  const bLineEnd = src.lineEnd(b.inst.endLine);
  if (src.text.slice(bScriptEnd, bLineEnd).trim() !== '') return undefined;
  const head = ` && ${grouped ? '{ ' : ''}${esc}${eol}${between.map((t) => `${t}${eol}`).join('')}    `;
  const edits: TextEdit[] = [{ start: aScriptEnd, end: bRestAt, text: head }];
  if (grouped) edits.push({ start: bScriptEnd, end: bScriptEnd, text: '; }' });
  return { edits, grouped };
}
