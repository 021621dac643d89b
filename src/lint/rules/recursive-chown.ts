/**
 * dockerfile/recursive-chown and dockerfile/copy-then-chown: a recursive chown/chmod/chgrp (or find -exec,
 * xargs, sed -i over a glob) on files an earlier layer created makes overlay2 copy every one of them up into
 * the new layer. When the files come from a COPY right before, the fix folds the change into
 * COPY --chown/--chmod (BuildKit gives the same owners and modes; checked by test/engine/lint-fix-build).
 */
import { copyView, isWithin, resolvePath, type Step } from '../../dockerfile/instruction-model.js';
import { hasOption, operands, type Word } from '../../dockerfile/shell-command.js';
import { expandVars } from '../../dockerfile/variables.js';
import type { Evidence } from '../../findings.js';
import { commandSpan, runCommands, type Rule, type RuleContext, type RunCommand, type TextEdit } from '../rule-context.js';
import { copiedBytes, nearest, visitWithEarlierWrites, writesOf, writesTouching, type Write } from '../stage-writes.js';

const TREE_TOOLS = new Set(['chown', 'chmod', 'chgrp', 'touch', 'sed', 'setfacl']);
const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

interface TreeOp {
  rc: RunCommand;
  tool: string;
  paths: { word: Word; path: string }[];
}

function treeOps(step: Step, escape: '\\' | '`'): TreeOp[] {
  const out: TreeOp[] = [];
  const cmds = runCommands(step);
  const resolve = (w: Word) => resolvePath(expandVars(w.value, step.vars, escape), step.workdir);
  cmds.forEach((rc, i) => {
    if ((rc.name === 'chown' || rc.name === 'chmod' || rc.name === 'chgrp' || rc.name === 'setfacl') && hasOption(rc.args, 'R', 'recursive')) {
      const ops = operands(rc.args);
      // the first operand is the owner, mode or ACL spec
      const targets = ops.slice(1);
      out.push({ rc, tool: rc.name, paths: targets.map((word) => ({ word, path: resolve(word) })) });
      return;
    }
    if (rc.name === 'find') {
      const vals = rc.args.map((a) => a.value);
      const ex = vals.findIndex((v) => v === '-exec' || v === '-execdir');
      const tool = ex >= 0 ? (vals[ex + 1] ?? '').replace(/^.*\//, '') : '';
      const piped = rc.cmd.after === '|' ? cmds[i + 1] : undefined;
      const xargsTool = piped && piped.name === 'xargs' ? (operands(piped.args)[0]?.value ?? '') : '';
      const t = TREE_TOOLS.has(tool) ? tool : TREE_TOOLS.has(xargsTool) ? xargsTool : '';
      // `-perm` selects a few files on purpose (setuid hardening): only those are copied up
      if (!t || vals.includes('-perm')) return;
      const starts: Word[] = [];
      for (const a of rc.args) {
        if (a.value.startsWith('-') || a.value === '(' || a.value === '!') break;
        starts.push(a);
      }
      if (starts.length === 0) return;
      out.push({ rc, tool: t, paths: starts.map((word) => ({ word, path: resolve(word) })) });
      return;
    }
    if (rc.name === 'sed' && hasOption(rc.args, 'i', 'in-place')) {
      const globs = operands(rc.args).slice(1).filter((w) => /[*?]/.test(w.value));
      if (globs.length) out.push({ rc, tool: 'sed', paths: globs.map((word) => ({ word, path: resolve({ ...word, value: word.value.replace(/\/[^/]*[*?].*$/, '') || '/' }) })) });
    }
  });
  return out;
}

export const recursiveChownRule: Rule = {
  ids: ['dockerfile/recursive-chown', 'dockerfile/copy-then-chown'],
  check(ctx: RuleContext): void {
    const { model } = ctx;
    const escape = model.ast.escape;
    visitWithEarlierWrites(model, (stage, step, stepIndex, writes) => {
      if (step.inst.keyword !== 'RUN') return;
      const folded = new Set<RunCommand>();
      const fold = tryFold(ctx, stage.steps, stepIndex, writes, escape);
      if (fold) {
        for (const rc of fold.commands) folded.add(rc);
        ctx.report({
          id: 'dockerfile/copy-then-chown',
          span: { start: commandSpan(fold.commands[0]!).start, end: commandSpan(fold.commands[fold.commands.length - 1]!).end },
          evidence: fold.evidence,
          autofix: { safety: 'safe', description: fold.description, edits: fold.edits },
        });
      }
      for (const op of treeOps(step, escape)) {
        if (folded.has(op.rc)) continue;
        for (const { path } of op.paths) {
          const hit = writesTouching(writes, step, path);
          if (hit.length === 0) continue;
          const evidence: Evidence[] = [
            { label: 'command', value: op.tool },
            { label: 'path', value: path },
            { label: 'created at line', value: nearest(hit).step.inst.startLine + 1 },
          ];
          const sized = sumCopied(hit, ctx, path);
          if (sized) {
            evidence.push({ label: 'files duplicated (estimate)', value: sized.files });
            evidence.push({ label: 'bytes duplicated (estimate)', value: sized.bytes, unit: 'bytes' });
          }
          ctx.report({ id: 'dockerfile/recursive-chown', span: commandSpan(op.rc), evidence });
          break;
        }
      }
    });
  },
};

function sumCopied(hit: Write[], ctx: RuleContext, path: string): { files: number; bytes: number } | undefined {
  let files = 0;
  let bytes = 0;
  let any = false;
  for (const w of hit) {
    const r = copiedBytes(w, ctx.context, isWithin(path, w.path) && path !== w.path ? path : undefined);
    if (r) {
      any = true;
      files += r.files;
      bytes += r.bytes;
    }
  }
  return any ? { files, bytes } : undefined;
}

interface Fold {
  commands: RunCommand[];
  edits: TextEdit[];
  evidence: Evidence[];
  description: string;
}

/** The safe fold of leading chown/chmod -R commands of steps[i] into the COPY just before it, if any. */
function tryFold(ctx: RuleContext, steps: Step[], i: number, writes: readonly Write[], escape: '\\' | '`'): Fold | undefined {
  const run = steps[i]!;
  if (run.inst.flags.length > 0) return undefined;
  // The COPY must be the previous layer-changing instruction.
  let c = i - 1;
  while (c >= 0 && !LAYER_KEYWORDS.has(steps[c]!.inst.keyword)) c--;
  if (c < 0) return undefined;
  const copyStep = steps[c]!;
  const copy = copyView(copyStep, escape);
  if (!copy || !copy.destPath || !copy.dest) return undefined;
  if (copyStep.inst.keyword === 'ADD' && copy.sources.some((s) => /^[a-z]+:\/\/|\.(tar|tgz|tbz2?|txz|tzst)(\.\w+)?$|^git@/i.test(s.text))) return undefined;
  const dest = copy.destPath;
  // Nothing else may already be inside the destination: then --chown on this COPY covers all chown -R saw.
  const before = writes.filter((w) => w.step !== copyStep && isWithin(w.path, dest));
  if (before.some((w) => !(w.dirOnly && w.path === dest))) return undefined;
  for (const s of steps.slice(0, c)) {
    if (s.inst.keyword === 'RUN' && (isWithin(s.workdir, dest) || s.inst.logical.includes(dest))) return undefined;
  }
  const destExisted = before.length > 0;
  const cmds = runCommands(run);
  if (cmds.length === 0 || !cmds[0]!.script.inline) return undefined;
  const taken: RunCommand[] = [];
  let chown = copy.chown;
  let chmod = copy.chmod;
  for (const rc of cmds) {
    if (rc.cmd.before !== '' && rc.cmd.before !== '&&') break;
    if (rc.name !== 'chown' && rc.name !== 'chmod') break;
    if (!rc.args.some((a) => a.value === '-R' || a.value === '--recursive')) break;
    if (!rc.args.every((a) => !a.value.startsWith('-') || a.value === '-R' || a.value === '--recursive')) break;
    const ops = operands(rc.args);
    if (ops.length !== 2) break;
    const target = resolvePath(expandVars(ops[1]!.value, run.vars, escape), run.workdir);
    if (target !== dest) break;
    const value = ops[0]!.value;
    const resolved = expandVars(value, run.vars, escape);
    if (resolved.includes('$') || resolved.includes('`')) break;
    if (rc.name === 'chown') {
      if (!/^[A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]*)?$/.test(value.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, 'x')) || value === '' || value === ':') break;
      const [user, group] = value.includes(':') ? value.split(':') : [value, undefined];
      // `chown user:` means the user's login group, which COPY --chown cannot spell: leave it
      if (group === '') break;
      const want = `${user || '0'}:${group ?? '0'}`;
      if (chown !== undefined && chown !== want) break;
      chown = want;
    } else {
      if (!/^[0-7]{3,4}$/.test(value)) break;
      if (chmod !== undefined && chmod !== value) break;
      chmod = value;
    }
    taken.push(rc);
    if (rc.cmd.after !== '&&' && rc.cmd.after !== '') break;
  }
  if (taken.length === 0) return undefined;
  // --chmod needs BuildKit (the legacy builder fails with "the --chmod option requires BuildKit"): offered only
  // where BuildKit is certain, a `# syntax=` line or the user's --buildkit.
  const buildkit = ctx.settings.buildkit || ctx.model.ast.directives.some((d) => d.name === 'syntax');
  if (chmod !== undefined && copy.chmod === undefined && !buildkit) return undefined;
  if (copyStep.inst.keyword === 'ADD' && chmod !== undefined && copy.chmod === undefined) {
    // ADD --chmod needs a newer frontend than COPY --chmod; keep it simple and only fold chown into ADD
    if (taken.some((t) => t.name === 'chmod')) return undefined;
  }
  const edits: TextEdit[] = [];
  const flags: string[] = [];
  if (chown !== undefined && copy.chown === undefined) flags.push(`--chown=${chown}`);
  if (chmod !== undefined && copy.chmod === undefined) flags.push(`--chmod=${chmod}`);
  if (flags.length) edits.push({ start: copyStep.inst.keywordSpan.end, end: copyStep.inst.keywordSpan.end, text: ` ${flags.join(' ')}` });
  const source = ctx.model.ast.source;
  let description = `${copyStep.inst.keyword} ${flags.join(' ')}`;
  if (destExisted) {
    // The destination directory existed before the COPY (WORKDIR, mkdir): COPY --chown/--chmod leaves it as
    // it was, so keep a non-recursive chown/chmod of that one directory.
    for (const rc of taken) {
      const r = rc.args.find((a) => a.value === '-R' || a.value === '--recursive')!;
      const s = rc.script.toFile(r.start);
      let e = rc.script.toFile(r.end - 1) + 1;
      while (e < source.text.length && (source.text[e] === ' ' || source.text[e] === '\t')) e++;
      edits.push({ start: s, end: e, text: '' });
    }
    description += `; chown/chmod of ${dest} itself only (it existed before the COPY)`;
  } else if (taken.length === cmds.length && cmds.every((x) => x.script.inline) && run.inst.heredocs.length === 0) {
    // The whole RUN goes: remove its lines, and its leading comments stay.
    const lineStart = source.lineStarts[run.inst.startLine]!;
    const next = run.inst.endLine + 1 < source.lineCount ? source.lineStarts[run.inst.endLine + 1]! : source.text.length;
    edits.push({ start: lineStart, end: next, text: '' });
    description += `; drop the RUN at line ${run.inst.startLine + 1}`;
  } else {
    const last = taken[taken.length - 1]!;
    const nextCmd = cmds[last.index + 1];
    const start = taken[0]!.script.toFile(taken[0]!.cmd.start);
    const end = nextCmd ? nextCmd.script.toFile(nextCmd.cmd.start) : last.script.toFile(last.cmd.end - 1) + 1;
    edits.push({ start, end, text: '' });
    description += `; drop ${taken.map((t) => t.name).join(', ')} from the RUN`;
  }
  const evidence: Evidence[] = [
    { label: 'destination', value: dest },
    { label: 'copied at line', value: copyStep.inst.startLine + 1 },
  ];
  const w = writesOf(copyStep, escape)[0];
  const sized = w ? copiedBytes(w, ctx.context) : undefined;
  if (sized) {
    evidence.push({ label: 'files duplicated (estimate)', value: sized.files });
    evidence.push({ label: 'bytes duplicated (estimate)', value: sized.bytes, unit: 'bytes' });
  }
  return { commands: taken, edits, evidence, description };
}

