/**
 * Which paths each instruction of a stage creates (COPY/ADD destinations, WORKDIR, mkdir, downloads,
 * clones, extractions, apt lists), so rules can tell that a later layer touches files an earlier one made.
 */
import { sourceFiles, type BuildContext } from '../dockerfile/build-context.js';
import { copyView, isWithin, resolvePath, type DockerfileModel, type Stage, type Step } from '../dockerfile/instruction-model.js';
import { hasOption, operands } from '../dockerfile/shell-command.js';
import { expandVars } from '../dockerfile/variables.js';
import { memoOf, runCommands } from './rule-context.js';

export interface Write {
  path: string;
  step: Step;
  kind: 'copy' | 'workdir' | 'mkdir' | 'run';
  /** Only the directory itself (WORKDIR, mkdir), not a tree of files. */
  dirOnly: boolean;
  /** For COPY/ADD from the context: context-relative sources, to size what was copied. */
  sources?: string[];
  /** The COPY copies from another stage or image. */
  fromStage?: boolean;
}

/** Programs whose outputs writesOf tracks. */
const WRITERS = new Set(['mkdir', 'git', 'tar', 'unzip', 'curl', 'wget', 'apt-get', 'apt', 'cp', 'mv']);

/**
 * Visits every step of every stage with the writes of the steps before it in its stage; a stage built FROM
 * another starts with that one's writes.
 */
export function visitWithEarlierWrites(model: DockerfileModel, visit: (stage: Stage, step: Step, stepIndex: number, earlier: readonly Write[]) => void): void {
  const escape = model.ast.escape;
  const inherited = new Map<number, Write[]>();
  for (const stage of model.stages) {
    const writes: Write[] = stage.baseStage !== undefined ? [...(inherited.get(stage.baseStage) ?? [])] : [];
    stage.steps.forEach((step, i) => {
      visit(stage, step, i, writes);
      writes.push(...writesOf(step, escape));
    });
    inherited.set(stage.index, writes);
  }
}

/**
 * The writes of steps other than `step` that made a tree at or under `path`, or one that holds it. A copy
 * into `/` (`COPY --from=build /out/ /`) is not taken to hold every path: what it brought is unknown.
 */
export function writesTouching(writes: readonly Write[], step: Step, path: string): Write[] {
  return writes.filter((w) => !w.dirOnly && w.step !== step && (isWithin(w.path, path) || (w.path !== '/' && isWithin(path, w.path))));
}


/** A write with the command (of its RUN) that made it and the first later one that removed it. */
interface PlacedWrite {
  write: Write;
  at: number;
  removedAt: number;
}

/** What `step` creates; worked out once per step, whichever rules ask. */
export function writesOf(step: Step, escape: '\\' | '`'): Write[] {
  const memo = memoOf(step);
  let out = memo.writes as Write[] | undefined;
  if (!out) {
    out = placedWrites(step, escape).filter((p) => p.removedAt === Infinity).map((p) => p.write);
    memo.writes = out;
  }
  return out;
}


/** Trees the commands of a RUN before command `index` wrote and had not removed by then (dirs alone left out). */
export function writtenEarlierInRun(step: Step, index: number, escape: '\\' | '`'): string[] {
  return placedWrites(step, escape).filter((p) => p.at < index && p.removedAt >= index && !p.write.dirOnly).map((p) => p.write.path);
}

function placedWrites(step: Step, escape: '\\' | '`'): PlacedWrite[] {
  const memo = memoOf(step);
  let out = memo.placed as PlacedWrite[] | undefined;
  if (!out) {
    out = findWrites(step, escape);
    memo.placed = out;
  }
  return out;
}

function findWrites(step: Step, escape: '\\' | '`'): PlacedWrite[] {
  const inst = step.inst;
  const found: PlacedWrite[] = [];
  const out: Write[] = [];
  if (inst.keyword === 'WORKDIR') {
    const path = resolvePath(expandVars(inst.rest.trim(), step.vars, escape), step.workdir);
    out.push({ path, step, kind: 'workdir', dirOnly: true });
  } else if (inst.keyword === 'COPY' || inst.keyword === 'ADD') {
    const c = copyView(step, escape);
    if (c?.destPath) {
      out.push({ path: c.destPath, step, kind: 'copy', dirOnly: false, sources: c.sources.map((s) => s.text), fromStage: c.from !== undefined });
    }
  } else if (inst.keyword === 'RUN') {
    const cmds = runCommands(step);
    // rm targets and dist-clean, resolved once per RUN
    const removals: { at: number; path: string }[] = [];
    cmds.forEach((rc, at) => {
      if ((rc.name === 'apt-get' || rc.name === 'apt') && rc.args.some((a) => a.value === 'dist-clean')) removals.push({ at, path: '/var/lib/apt/lists' });
      if (rc.name !== 'rm') return;
      for (const w of operands(rc.args)) {
        const p = resolvePath(expandVars(w.value, step.vars, escape).replace(/\/\*$/, ''), step.workdir);
        if (p !== '/') removals.push({ at, path: p });
      }
    });
    cmds.forEach((rc, at) => {
      if (!WRITERS.has(rc.name)) return;
      const before = out.length;
      const ops = operands(rc.args).map((w) => resolvePath(expandVars(w.value, step.vars, escape), step.workdir));
      const raw = rc.args.map((w) => w.value);
      switch (rc.name) {
        case 'mkdir':
          for (const p of ops) out.push({ path: p, step, kind: 'mkdir', dirOnly: true });
          break;
        case 'git':
          if (raw[0] === 'clone' && ops.length >= 3) out.push({ path: ops[ops.length - 1]!, step, kind: 'run', dirOnly: false });
          break;
        case 'tar': {
          const c = raw.findIndex((v) => v === '-C' || v === '--directory');
          if (c >= 0 && raw[c + 1]) out.push({ path: resolvePath(expandVars(raw[c + 1]!, step.vars, escape), step.workdir), step, kind: 'run', dirOnly: false });
          break;
        }
        case 'unzip': {
          const d = raw.indexOf('-d');
          if (d >= 0 && raw[d + 1]) out.push({ path: resolvePath(expandVars(raw[d + 1]!, step.vars, escape), step.workdir), step, kind: 'run', dirOnly: false });
          break;
        }
        case 'curl': case 'wget': {
          const o = raw.findIndex((v) => v === '-o' || v === '-O' || v === '--output' || v === '--output-document');
          const target = o >= 0 ? raw[o + 1] : undefined;
          if (target && target !== '-') out.push({ path: resolvePath(expandVars(target, step.vars, escape), step.workdir), step, kind: 'run', dirOnly: false });
          break;
        }
        case 'apt-get': case 'apt':
          if (raw.includes('update')) out.push({ path: '/var/lib/apt/lists', step, kind: 'run', dirOnly: false });
          break;
        case 'cp': case 'mv':
          if (ops.length >= 2 && !hasOption(rc.args, 't')) out.push({ path: ops[ops.length - 1]!, step, kind: 'run', dirOnly: false });
          break;
        default:
          break;
      }
      // What a later command of the same RUN removes was never in this layer.
      for (let k = before; k < out.length; k++) {
        const path = out[k]!.path;
        const r = removals.find((x) => x.at > at && isWithin(path, x.path));
        found.push({ write: out[k]!, at, removedAt: r ? r.at : Infinity });
      }
    });
    return found;
  }
  return out.map((write) => ({ write, at: 0, removedAt: Infinity }));
}

/** Files and bytes a COPY write brought from the context below `sub` (a path inside the destination). */
export function copiedBytes(w: Write, ctx: BuildContext | undefined, sub?: string): { files: number; bytes: number } | undefined {
  if (!ctx || w.kind !== 'copy' || w.fromStage || !w.sources || w.sources.length === 0) return undefined;
  let files = 0;
  let bytes = 0;
  for (const s of w.sources) {
    if (/^[a-z]+:\/\//i.test(s) || s.startsWith('<<')) return undefined;
    let src = s;
    if (sub && sub !== w.path && w.sources.length === 1) src = `${s.replace(/\/+$/, '')}/${sub.slice(w.path.length + 1)}`;
    const r = sourceFiles(ctx, src);
    files += r.files;
    bytes += r.bytes;
  }
  return { files, bytes };
}

/** The write nearest a path: the deepest one, and of those the latest (what a reader would blame). */
export function nearest(writes: readonly Write[]): Write {
  let best = writes[0]!;
  for (const w of writes) if (w.path.length >= best.path.length) best = w;
  return best;
}
