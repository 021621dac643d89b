/**
 * `stowage lint` as a library call: expands files, directories and globs, reads each Dockerfile with its
 * build context, lints, fixes (writing atomically: temp file + rename) and returns data for the renderers.
 */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { readBuildContext, type BuildContext } from '../dockerfile/build-context.js';
import { globRegex } from '../dockerfile/dockerignore.js';
import { buildModel } from '../dockerfile/instruction-model.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import type { EngineClient } from '../engine/engine-client.js';
import { writeFileAtomicSync } from '../atomic-file.js';
import { readConfigJson } from '../config/config-file.js';
import { BadInputError, HostError } from '../errors.js';
import type { Severity } from '../findings.js';
import { fixText, type AppliedFix } from './apply-fixes.js';
import { lintText, type LintPolicy } from './lint-dockerfile.js';
import type { LintFinding, LintSettings } from './rule-context.js';
import { isRuleId } from './rule-table.js';
import { unifiedDiff } from './unified-diff.js';

export interface LintOptions {
  /** Files, directories (searched for Dockerfiles) and globs; default `Dockerfile` in cwd. */
  paths?: string[];
  cwd?: string;
  /** One build context for every file; default: each Dockerfile's directory. */
  contextDir?: string;
  /** false: do not read build contexts (no context rules, no byte estimates). */
  useContext?: boolean;
  buildArgs?: Record<string, string>;
  target?: string;
  policy?: LintPolicy;
  settings?: Partial<LintSettings>;
  /** Apply fixes: safe ones, or unsafe ones too. */
  fix?: 'none' | 'safe' | 'unsafe';
  /** With `fix`: write the files (false: only compute the diff). */
  write?: boolean;
  /** Asked for base images' layer counts when given. */
  engine?: EngineClient;
}

export interface FileFixResult {
  applied: AppliedFix[];
  diff: string;
  written: boolean;
}

export interface FileLintResult {
  /** As given or found, relative to cwd when inside it. */
  file: string;
  findings: LintFinding[];
  suppressed: number;
  /** Rules that failed on this file (a bug in stowage; the other rules ran). */
  ruleErrors: string[];
  fixed?: FileFixResult;
}

export interface LintResult {
  files: FileLintResult[];
  counts: Record<Severity, number>;
  fixesApplied: number;
}

const DOCKERFILE_NAME = /^(Dockerfile|Containerfile)(\..+)?$|\.(dockerfile|Dockerfile|containerfile)$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'vendor', 'dist', 'target']);

/** Lints Dockerfiles found from paths and globs, applying fixes when asked; writes are atomic. */
export async function lintFiles(options: LintOptions = {}): Promise<LintResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = expandPaths(options.paths?.length ? options.paths : ['Dockerfile'], cwd);
  const contexts = new Map<string, BuildContext>();
  const baseLayers = new Map<string, number>();
  const results: FileLintResult[] = [];
  let fixesApplied = 0;
  for (const abs of files) {
    let raw: Buffer;
    try {
      raw = readFileSync(abs);
    } catch (err) {
      throw new BadInputError(`cannot read ${display(abs, cwd)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const text = raw.toString('utf8');
    const name = display(abs, cwd);
    if (options.target !== undefined) checkTarget(text, options.target, name);
    let context: BuildContext | undefined;
    if (options.useContext !== false) {
      const dir = options.contextDir ? resolve(cwd, options.contextDir) : dirname(abs);
      // Files that share a directory and its ignore file share one walk of it (BuildKit's heredoc cases: 63
      // Dockerfiles in one directory); only a Dockerfile with its own NAME.dockerignore gets its own.
      const own = `${basename(abs)}.dockerignore`;
      const ignoreFile = existsSync(join(dir, own)) ? own : undefined;
      const key = `${dir}\0${ignoreFile ?? ''}`;
      context = contexts.get(key);
      if (!context) {
        context = readBuildContext(dir, ignoreFile ? { ignoreFile } : {});
        contexts.set(key, context);
      }
    }
    if (options.engine) await askBaseLayers(options.engine, text, options, baseLayers);
    const lintOptions = { file: name, context, baseLayers, buildArgs: options.buildArgs, target: options.target, policy: options.policy, settings: options.settings };
    const fixMode = options.fix ?? 'none';
    let fixed: FileFixResult | undefined;
    let finalText = text;
    if (fixMode !== 'none') {
      const r = fixText(text, { ...lintOptions, unsafe: fixMode === 'unsafe' });
      const diff = unifiedDiff(text, r.text, `a/${name}`, `b/${name}`);
      let written = false;
      if (r.changed && options.write) {
        writeFileAtomic(abs, r.text);
        written = true;
      }
      fixed = { applied: r.applied, diff, written };
      fixesApplied += r.applied.length;
      if (written) finalText = r.text;
    }
    // Findings are those of the file as it is on disk after this run: a --diff preview changes nothing,
    // so it must not pass a CI gate that the file itself fails.
    const { findings, suppressed, ruleErrors } = lintText(finalText, lintOptions);
    results.push({ file: name, findings, suppressed, ruleErrors, ...(fixed ? { fixed } : {}) });
  }
  const counts = { error: 0, warn: 0, info: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]++;
  return { files: results, counts, fixesApplied };
}

/** `--target` must name a stage of the file, as `docker build --target` requires; else lint would quietly lint the last stage. */
function checkTarget(text: string, target: string, name: string): void {
  const stages: string[] = [];
  const esc = /^\uFEFF?#\s*escape\s*=\s*`/im.test(text.slice(0, 200)) ? '`' : '\\';
  // FROM lines with their continuations joined: the stage name is the word after AS
  const joined = text.replace(esc === '`' ? /`\r?\n/g : /\\\r?\n/g, ' ');
  for (const m of joined.matchAll(/^[ \t]*from[ \t]+(?:--\S+[ \t]+)*\S+[ \t]+as[ \t]+(\S+)/gim)) stages.push(m[1]!.toLowerCase());
  if (!stages.includes(target.toLowerCase())) {
    throw new BadInputError(`--target ${target}: ${name} has no stage named "${target}"${stages.length ? ` (its stages: ${stages.join(', ')})` : ' (it names no stage)'}`,
      'docker build --target would fail the same way; pass a stage name the file defines.');
  }
}

async function askBaseLayers(engine: EngineClient, text: string, options: LintOptions, into: Map<string, number>): Promise<void> {
  const model = buildModel(parseDockerfile(text), { buildArgs: options.buildArgs, target: options.target });
  const roots = new Set<string>();
  for (const s of model.exported) {
    const st = model.stages[s]!;
    if (st.baseStage === undefined && st.base && st.base.toLowerCase() !== 'scratch' && !st.base.includes('$')) roots.add(st.base);
  }
  for (const ref of roots) {
    if (into.has(ref)) continue;
    try {
      const detail = await engine.inspectImage(ref);
      into.set(ref, detail.layers.length);
    } catch {
      // not present locally: the count stays unknown, lint never pulls
    }
  }
}

function display(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') ? rel : abs;
}

/** Files named by paths, directories (searched for Dockerfiles) and globs, in a stable order. */
export function expandPaths(paths: string[], cwd: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const p of paths) {
    if (/[*?[]/.test(p)) {
      const matches = globFiles(p, cwd);
      if (matches.length === 0) throw new BadInputError(`no file matches ${p}`);
      matches.forEach(add);
      continue;
    }
    const abs = resolve(cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new BadInputError(`no such file: ${p}`, p === 'Dockerfile' ? 'Pass the Dockerfiles to lint: stowage lint path/to/Dockerfile' : undefined);
    }
    if (st.isDirectory()) {
      const found = findDockerfiles(abs);
      if (found.length === 0) throw new BadInputError(`no Dockerfile in ${p}`);
      found.forEach(add);
    } else {
      add(abs);
    }
  }
  return out;
}

/** A directory's entries in name order, none when it cannot be read. */
function sortedEntries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
}

function findDockerfiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of sortedEntries(d)) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(d, e.name));
      } else if (e.isFile() && DOCKERFILE_NAME.test(e.name)) {
        out.push(join(d, e.name));
      }
    }
  };
  walk(dir);
  return out;
}

/** `*`, `?`, `[...]` and `**` globs, relative to cwd or absolute. */
function globFiles(pattern: string, cwd: string): string[] {
  const absPattern = resolve(cwd, pattern).replace(/\\/g, '/');
  const parts = absPattern.split('/');
  const firstGlob = parts.findIndex((s) => /[*?[]/.test(s));
  const base = parts.slice(0, firstGlob).join('/') || '/';
  const re = globRegex(parts.slice(firstGlob).join('/'));
  const deep = parts.slice(firstGlob).some((s) => s === '**') || parts.length - firstGlob > 1;
  const out: string[] = [];
  const walk = (d: string, rel: string, depth: number) => {
    for (const e of sortedEntries(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (deep && !SKIP_DIRS.has(e.name) && depth < 32) walk(join(d, e.name), r, depth + 1);
      } else if (re.test(r)) {
        out.push(join(d, e.name));
      }
    }
  };
  walk(base, '', 0);
  return out;
}

/** Writes via a temp file in the same directory, fsync, then rename: never a half-written Dockerfile. */
export function writeFileAtomic(path: string, text: string): void {
  try {
    writeFileAtomicSync(path, text, { keepMode: true });
  } catch (err) {
    throw new HostError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Check that the directory is writable; the original file is unchanged.', { cause: err });
  }
}

/** The lint config file: ignored rule ids, severity overrides, thresholds. */
export interface LintConfig {
  ignore?: string[];
  severity?: Record<string, Severity>;
  largeContextBytes?: number;
  layerWarn?: number;
  dockerignoreBytes?: number;
  buildkit?: boolean;
  failOn?: Severity;
}

export const CONFIG_FILE_NAMES = ['.stowage-lint.json', '.stowage/lint.json'];

/** Reads a config file (JSON); throws BadInputError with the reason when it is not valid. */
export function readLintConfig(path: string): LintConfig {
  return validateConfig(readConfigJson(path), path);
}

export function validateConfig(value: unknown, path: string): LintConfig {
  const bad = (why: string) => new BadInputError(`config ${path}: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object');
  const v = value as Record<string, unknown>;
  const cfg: LintConfig = {};
  for (const key of Object.keys(v)) {
    if (!['ignore', 'severity', 'largeContextBytes', 'layerWarn', 'dockerignoreBytes', 'buildkit', 'failOn', '$schema'].includes(key)) throw bad(`unknown key "${key}"`);
  }
  if (v.ignore !== undefined) {
    if (!Array.isArray(v.ignore) || !v.ignore.every((x) => typeof x === 'string')) throw bad('"ignore" must be a list of rule ids');
    for (const id of v.ignore as string[]) if (!knownRuleRef(id)) throw bad(`unknown rule id "${id}" in "ignore"`);
    cfg.ignore = v.ignore as string[];
  }
  if (v.severity !== undefined) {
    if (typeof v.severity !== 'object' || v.severity === null) throw bad('"severity" must map rule ids to info, warn or error');
    for (const [id, sev] of Object.entries(v.severity as Record<string, unknown>)) {
      if (!isRuleId(id)) throw bad(`unknown rule id "${id}" in "severity"`);
      if (sev !== 'info' && sev !== 'warn' && sev !== 'error') throw bad(`severity of ${id} must be info, warn or error`);
    }
    cfg.severity = v.severity as Record<string, Severity>;
  }
  if (v.buildkit !== undefined) {
    if (typeof v.buildkit !== 'boolean') throw bad('"buildkit" must be true or false');
    cfg.buildkit = v.buildkit;
  }
  for (const k of ['largeContextBytes', 'layerWarn', 'dockerignoreBytes'] as const) {
    if (v[k] !== undefined) {
      if (typeof v[k] !== 'number' || !Number.isFinite(v[k]) || (v[k] as number) < 0) throw bad(`"${k}" must be a non-negative number`);
      cfg[k] = v[k] as number;
    }
  }
  if (v.failOn !== undefined) {
    if (v.failOn !== 'info' && v.failOn !== 'warn' && v.failOn !== 'error') throw bad('"failOn" must be info, warn or error');
    cfg.failOn = v.failOn;
  }
  return cfg;
}

/** A rule id, its short name (`consecutive-run`), or `*` / `all`: what ignore lists accept. */
export function knownRuleRef(ref: string): boolean {
  return ref === '*' || ref === 'all' || isRuleId(ref) || isRuleId(`dockerfile/${ref}`);
}
