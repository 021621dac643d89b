/**
 * The instruction model on top of the parser: stages, which stages end up in the exported image, and for
 * every instruction the ARG/ENV values, WORKDIR and SHELL in effect, with typed views of COPY/ADD and RUN.
 */
import { posix } from 'node:path';
import { flagValue, logicalIndexOf, logicalSpan, offsetAt, parseDockerfile, restWords, type DockerfileAst, type Instruction, type Token } from './parser.js';
import type { Span } from './source-text.js';
import { instructionKeyValues, processWord, type Vars } from './variables.js';

export interface Step {
  inst: Instruction;
  /** ARG and ENV values visible to this instruction. */
  vars: Map<string, string>;
  /** WORKDIR in effect before this instruction ('/' by default). */
  workdir: string;
  stage: number;
}

export interface Stage {
  index: number;
  name: string | undefined;
  /** The base image reference, variables resolved. */
  base: string;
  /** Index of the stage this one is built FROM, when it is a stage. */
  baseStage: number | undefined;
  from: Instruction;
  steps: Step[];
}

export interface DockerfileModel {
  ast: DockerfileAst;
  stages: Stage[];
  /** The stage that is built (the last one, or --target). */
  target: number;
  /** Stages whose layers are in the exported image: the target and the chain of stages it is FROM. */
  exported: Set<number>;
}

export interface ModelOptions {
  buildArgs?: Record<string, string>;
  target?: string;
}

/** Characters of ARG/ENV values a file may build up before expansion stops (a limit finding on the file). */
const MAX_VALUE_CHARS = 4 << 20;
/** Variable entries all per-instruction snapshots may hold together before they are shared. */
const MAX_SNAPSHOT_ENTRIES = 1 << 18;

export function buildModel(ast: DockerfileAst, options: ModelOptions = {}): DockerfileModel {
  const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let current: Stage | undefined;
  let vars = new Map<string, string>();
  let workdir = '/';
  const stageWorkdirs: string[] = [];
  const stageVars: Map<string, string>[] = [];
  let valueChars = 0;
  let snapshotEntries = 0;
  let snapshot: Map<string, string> | undefined;
  const limits = new Set<string>();
  const limit = (inst: Instruction, message: string) => {
    if (limits.has(message)) return;
    limits.add(message);
    ast.problems.push({ kind: 'limit', message, span: inst.keywordSpan });
  };
  /** BuildKit's ProcessWord of one word, within the file's limits; the word as written when it cannot be. */
  const word = (inst: Instruction, text: string, env: Vars): string => {
    if (valueChars > MAX_VALUE_CHARS) return text;
    const r = processWord(text, env, ast.escape);
    if (r.limited) limit(inst, r.limited);
    valueChars += r.value.length;
    if (valueChars > MAX_VALUE_CHARS) {
      limit(inst, `variable values larger than ${MAX_VALUE_CHARS} characters in all: expansion stopped`);
      return text;
    }
    return r.value;
  };
  for (const inst of ast.instructions) {
    if (inst.keyword === 'FROM') {
      const words = restWords(inst).map((w) => w.text);
      const image = word(inst, words[0] ?? '', withBuildArgs(globalArgs, buildArgs));
      const name = words.length >= 3 && words[1]!.toLowerCase() === 'as' ? words[2]!.toLowerCase() : undefined;
      const baseStage = stages.findIndex((s) => s.name !== undefined && s.name === image.toLowerCase());
      const parent = baseStage >= 0 ? baseStage : undefined;
      current = { index: stages.length, name, base: image, baseStage: parent, from: inst, steps: [] };
      stages.push(current);
      // A stage built on another inherits its ENV and WORKDIR, not its ARGs.
      vars = parent !== undefined ? new Map(stageVars[parent]) : new Map();
      snapshot = undefined;
      workdir = parent !== undefined ? stageWorkdirs[parent]! : '/';
      stageVars.push(vars);
      stageWorkdirs.push(workdir);
      continue;
    }
    if (!current) {
      if (inst.keyword === 'ARG') {
        // All values of one instruction see the variables as they were before it, as in BuildKit.
        const before = new Map(globalArgs);
        for (const kv of instructionKeyValues(inst)) {
          const v = buildArgs.get(kv.key) ?? (kv.value !== undefined ? word(inst, kv.value, before) : undefined);
          if (v !== undefined) globalArgs.set(kv.key, v);
        }
      }
      continue;
    }
    // Snapshots are shared until ARG/ENV changes the variables; past the limit they stay shared.
    if (!snapshot) {
      if (snapshotEntries + vars.size <= MAX_SNAPSHOT_ENTRIES) {
        snapshot = new Map(vars);
        snapshotEntries += vars.size;
      } else {
        limit(inst, `more than ${MAX_SNAPSHOT_ENTRIES} variable entries across instructions: later values are not tracked per instruction`);
        snapshot = vars;
      }
    }
    current.steps.push({ inst, vars: snapshot, workdir, stage: current.index });
    switch (inst.keyword) {
      case 'ARG': {
        const before = snapshot;
        for (const kv of instructionKeyValues(inst)) {
          const v = buildArgs.get(kv.key) ?? (kv.value !== undefined ? word(inst, kv.value, before) : globalArgs.get(kv.key));
          if (v !== undefined) vars.set(kv.key, v);
        }
        if (snapshot !== vars) snapshot = undefined;
        break;
      }
      case 'ENV': {
        const before = snapshot;
        for (const kv of instructionKeyValues(inst)) vars.set(kv.key, word(inst, kv.value ?? '', before));
        if (snapshot !== vars) snapshot = undefined;
        break;
      }
      case 'WORKDIR':
        workdir = resolvePath(word(inst, inst.rest, snapshot), workdir);
        stageWorkdirs[current.index] = workdir;
        break;
      default:
        break;
    }
  }
  let target = stages.length - 1;
  if (options.target) {
    const t = stages.findIndex((s) => s.name === options.target!.toLowerCase());
    if (t >= 0) target = t;
  }
  const exported = new Set<number>();
  for (let s: number | undefined = target; s !== undefined && s >= 0 && !exported.has(s); s = stages[s]!.baseStage) exported.add(s);
  return { ast, stages, target, exported };
}

function withBuildArgs(globals: Map<string, string>, buildArgs: Map<string, string>): Map<string, string> {
  if (buildArgs.size === 0) return globals;
  const m = new Map(globals);
  for (const [k, v] of buildArgs) if (!m.has(k)) m.set(k, v);
  return m;
}

export function parseModel(text: string, options: ModelOptions = {}): DockerfileModel {
  return buildModel(parseDockerfile(text), options);
}

/** An absolute, normalised POSIX path; relative paths are taken from `workdir`. */
export function resolvePath(path: string, workdir: string): string {
  // Most paths are already absolute and normal: then normalising gives them back (rules ask thousands a run).
  const joined = path.startsWith('/') ? path : !workdir.startsWith('/') ? '' : workdir.endsWith('/') ? `${workdir}${path}` : `${workdir}/${path}`;
  if (isNormalAbsolute(joined)) return joined;
  const p = path.startsWith('/') ? path : posix.join(workdir, path);
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** An absolute path posix.normalize leaves as it is, without a trailing slash: no `//`, `.` or `..` part. */
function isNormalAbsolute(p: string): boolean {
  if (p.charCodeAt(0) !== 47) return false;
  if (p.length === 1) return true;
  return p.charCodeAt(p.length - 1) !== 47 && !p.includes('//') && !p.includes('/./') && !p.includes('/../')
    && !p.endsWith('/.') && !p.endsWith('/..');
}

/** True when `inner` is `outer` or below it. */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || outer === '/' || inner.startsWith(`${outer}/`);
}

export interface CopyView {
  /** Sources as written, with variables resolved. */
  sources: Token[];
  dest: Token | undefined;
  /** Destination resolved against WORKDIR. */
  destPath: string | undefined;
  /** The destination names a directory (ends with '/', or several sources). */
  destIsDir: boolean;
  chown: string | undefined;
  chmod: string | undefined;
  from: string | undefined;
  /** Sources are heredocs (COPY <<EOF /file). */
  heredoc: boolean;
  /** Span of the arguments after the flags. */
  restSpan: Span;
}

/** COPY and ADD: sources, destination and flags; undefined for other instructions. */
export function copyView(step: Step, escape: '\\' | '`' = '\\'): CopyView | undefined {
  const inst = step.inst;
  if (inst.keyword !== 'COPY' && inst.keyword !== 'ADD') return undefined;
  const restSpan = logicalSpan(inst, inst.restStart, inst.logical.length);
  let tokens: Token[];
  if (inst.json) tokens = inst.json.map((text) => ({ text, span: restSpan }));
  else tokens = restWords(inst);
  tokens = tokens.map((t) => ({ text: processWord(t.text, step.vars, escape).value, span: t.span }));
  const dest = tokens.length >= 2 ? tokens[tokens.length - 1] : undefined;
  const sources = tokens.length >= 2 ? tokens.slice(0, -1) : [];
  const destPath = dest ? resolvePath(dest.text, step.workdir) : undefined;
  return {
    sources,
    dest,
    destPath,
    destIsDir: Boolean(dest && (dest.text.endsWith('/') || sources.length > 1)),
    chown: flagValue(inst, 'chown'),
    chmod: flagValue(inst, 'chmod'),
    from: flagValue(inst, 'from'),
    heredoc: inst.heredocs.length > 0,
    restSpan,
  };
}

/** A shell script a RUN executes, with a map from script offsets to file offsets. */
export interface RunScript {
  text: string;
  /** File offset of script offset k is `toFile(k)`. */
  toFile(k: number): number;
  /** The script is the RUN's own arguments (not a heredoc body). */
  inline: boolean;
}

/** The shell scripts of a RUN in shell form: its arguments, and heredoc bodies fed to a shell. */
export function runScripts(step: Step): RunScript[] {
  const inst = step.inst;
  if (inst.keyword !== 'RUN' || inst.json) return [];
  const out: RunScript[] = [];
  const rest = inst.rest;
  const restStart = inst.restStart;
  out.push({ text: rest, toFile: (k) => offsetAt(inst, Math.min(restStart + k, inst.logical.length)), inline: true });
  if (inst.heredocs.length > 0) {
    // The arguments with the heredoc markers cut out, where the parser found them (not inside quotes).
    let withoutMarkers = '';
    let at = restStart;
    for (const h of inst.heredocs) {
      const k = logicalIndexOf(inst, h.markerSpan.start, at);
      if (k === -1) continue;
      let e = k;
      while (e < inst.logical.length && offsetAt(inst, e) < h.markerSpan.end) e++;
      withoutMarkers += inst.logical.slice(at, k);
      at = e;
    }
    withoutMarkers = (withoutMarkers + inst.logical.slice(at, restStart + rest.length)).trim();
    if (withoutMarkers === '' || /^(\/bin\/|\/usr\/bin\/)?(ba|da|a)?sh(\s+-[a-z]+)*$/.test(withoutMarkers)) {
      for (const h of inst.heredocs) {
        const start = h.bodySpan.start;
        out.push({ text: h.body, toFile: (k) => start + k, inline: false });
      }
      out.shift();
    }
  }
  return out;
}

/** `--mount` flags of a RUN as key/value maps. */
export function runMounts(inst: Instruction): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const f of inst.flags) {
    if (f.name !== 'mount' || f.value === undefined) continue;
    const m = new Map<string, string>();
    for (const part of f.value.split(',')) {
      const eq = part.indexOf('=');
      if (eq === -1) m.set(part.toLowerCase(), 'true');
      else m.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
    }
    out.push(m);
  }
  return out;
}

/** Is `path` covered by a cache (or tmpfs) mount on this RUN? */
export function coveredByCacheMount(inst: Instruction, path: string): boolean {
  for (const m of runMounts(inst)) {
    const type = m.get('type');
    if (type !== 'cache' && type !== 'tmpfs') continue;
    const target = m.get('target') ?? m.get('dst') ?? m.get('destination');
    if (target && isWithin(path, resolvePath(target, '/'))) return true;
  }
  return false;
}
