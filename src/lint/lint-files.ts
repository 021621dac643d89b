/**
 * `stowage lint` as a capability, `lintFiles(options, context)`: expands files, directories and globs, reads
 * each Dockerfile with its build context, lints, fixes (writing atomically) and returns the `--json` document's
 * result (schema/lint.schema.json). The engine, when base images' layer counts are wanted, comes from
 * `context.engine()`, connected only when a file names a base image.
 */
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomicSync } from '../atomic-file.js';
import { capabilityContext, type CapabilityContext } from '../context.js';
import { listDir, readBuildContext, type BuildContext } from '../dockerfile/build-context.js';
import { globRegex } from '../dockerfile/dockerignore.js';
import { buildModel } from '../dockerfile/instruction-model.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import type { EngineClient } from '../engine/engine-client.js';
import { BadInputError, EngineUnreachableError, HostError, UsageError } from '../errors.js';
import type { Finding, Severity } from '../findings.js';
import { fixText, type AppliedFix } from './apply-fixes.js';
import { lintText, type LintPolicy } from './lint-dockerfile.js';
import type { LintFix, LintSettings } from './rule-context.js';
import { unifiedDiff } from './unified-diff.js';

export { CONFIG_FILE_NAMES, findLintConfig, knownRuleRef, readLintConfig, validateLintConfig, type LintConfig } from './lint-config.js';

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
  /**
   * Ask the engine (`context.engine()`) for base images' layer counts; default: when `engine` is given. An
   * unreachable engine only leaves them unknown (a progress note); a malformed endpoint is the caller's error.
   */
  askEngine?: boolean;
  /** An engine already connected, for the default context (library callers). */
  engine?: EngineClient;
  /** The threshold the caller gates on, echoed in the result (default warn). */
  failOn?: Severity;
}

export interface FileFixResult {
  applied: AppliedFix[];
  diff: string;
  written: boolean;
}

/** A machine-applicable fix of a file, pointing at its finding by index. */
export interface FileFix extends LintFix {
  finding: number;
  id: string;
}

export interface FileLintResult {
  /** As given or found, relative to cwd when inside it. */
  file: string;
  /** In the common Finding shape, by position in the file. */
  findings: Finding[];
  fixes: FileFix[];
  suppressed: number;
  /** Rules that failed on this file (a bug in stowage; the other rules ran); absent when none did. */
  ruleErrors?: string[];
  fixed?: FileFixResult;
}

/** The `--json` document's result (schema/lint.schema.json). */
export interface LintResult {
  files: FileLintResult[];
  counts: Record<Severity, number>;
  fixesApplied: number;
  failOn: Severity;
}

const DOCKERFILE_NAME = /^(Dockerfile|Containerfile)(\..+)?$|\.(dockerfile|Dockerfile|containerfile)$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'vendor', 'dist', 'target']);

/** Lints Dockerfiles found from paths and globs, applying fixes when asked; writes are atomic. */
export async function lintFiles(
  options: LintOptions = {},
  context: CapabilityContext = capabilityContext(options.engine ? { engine: options.engine } : {}),
): Promise<LintResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = expandPaths(options.paths?.length ? options.paths : ['Dockerfile'], cwd);
  const contexts = new Map<string, BuildContext>();
  const listings = new Map<string, Dirent[] | undefined>();
  const baseLayers = new Map<string, number>();
  const engine = (options.askEngine ?? options.engine !== undefined) ? lazyEngine(context) : undefined;
  const results: FileLintResult[] = [];
  let fixesApplied = 0;
  for (const abs of files) {
    context.signal.throwIfAborted();
    let raw: Buffer;
    try {
      raw = readFileSync(abs);
    } catch (err) {
      throw new BadInputError(`cannot read ${display(abs, cwd)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const text = raw.toString('utf8');
    const name = display(abs, cwd);
    if (options.target !== undefined) checkTarget(text, options.target, name);
    let buildContext: BuildContext | undefined;
    if (options.useContext !== false) {
      const dir = options.contextDir ? resolve(cwd, options.contextDir) : dirname(abs);
      // Files that share a directory and its ignore file share one walk of it (BuildKit's heredoc cases: 63
      // Dockerfiles in one directory); only a Dockerfile with its own NAME.dockerignore gets its own.
      // One listing per directory answers whether that file exists (no stat a Dockerfile) and starts the walk.
      let entries = listings.get(dir);
      if (!listings.has(dir)) listings.set(dir, (entries = listDir(dir)));
      const own = `${basename(abs)}.dockerignore`;
      const ignoreFile = entries?.some((e) => e.name === own) ? own : undefined;
      const key = `${dir}\0${ignoreFile ?? ''}`;
      buildContext = contexts.get(key);
      if (!buildContext) {
        buildContext = readBuildContext(dir, { ...(ignoreFile ? { ignoreFile } : {}), ...(entries ? { entries } : {}) });
        contexts.set(key, buildContext);
      }
    }
    if (engine) await askBaseLayers(engine, text, options, baseLayers);
    const lintOptions = { file: name, context: buildContext, baseLayers, buildArgs: options.buildArgs, target: options.target, policy: options.policy, settings: options.settings };
    const fixMode = options.fix ?? 'none';
    let fixed: FileFixResult | undefined;
    let finalText = text;
    if (fixMode !== 'none') {
      const r = fixText(text, { ...lintOptions, unsafe: fixMode === 'unsafe' });
      const diff = unifiedDiff(text, r.text, `a/${name}`, `b/${name}`);
      let written = false;
      if (r.changed && options.write) {
        writeFixedDockerfile(abs, r.text);
        written = true;
      }
      fixed = { applied: r.applied, diff, written };
      fixesApplied += r.applied.length;
      if (written) finalText = r.text;
    }
    // Findings are those of the file as it is on disk after this run: a --diff preview changes nothing,
    // so it must not pass a CI gate that the file itself fails.
    const { findings, suppressed, ruleErrors } = lintText(finalText, lintOptions);
    results.push({
      file: name,
      findings: findings.map(({ span: _span, autofix: _autofix, ...finding }) => finding),
      fixes: findings.flatMap((x, index) => (x.autofix ? [{ finding: index, id: x.id, ...x.autofix }] : [])),
      suppressed,
      ...(ruleErrors.length ? { ruleErrors } : {}),
      ...(fixed ? { fixed } : {}),
    });
  }
  const counts = { error: 0, warn: 0, info: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]++;
  return { files: results, counts, fixesApplied, failOn: options.failOn ?? 'warn' };
}

/** The context's engine, asked for on first use; undefined once it proved unreachable (noted in progress). */
function lazyEngine(context: CapabilityContext): () => Promise<EngineClient | undefined> {
  let engine: Promise<EngineClient | undefined> | undefined;
  return () => (engine ??= context.engine().catch((err: unknown) => {
    if (!(err instanceof EngineUnreachableError)) throw err;
    context.progress.note(`engine not reachable (${err.message}); base image layers are not counted`);
    return undefined;
  }));
}

/** `--target` must name a stage of the file, as `docker build --target` requires; else lint would quietly lint the last stage. */
function checkTarget(text: string, target: string, name: string): void {
  const stages: string[] = [];
  const esc = /^\uFEFF?#\s*escape\s*=\s*`/im.test(text.slice(0, 200)) ? '`' : '\\';
  // FROM lines with their continuations joined: the stage name is the word after AS
  const joined = text.replace(esc === '`' ? /`\r?\n/g : /\\\r?\n/g, ' ');
  for (const m of joined.matchAll(/^[ \t]*from[ \t]+(?:--\S+[ \t]+)*\S+[ \t]+as[ \t]+(\S+)/gim)) stages.push(m[1]!.toLowerCase());
  if (!stages.includes(target.toLowerCase())) {
    // a flag value the file cannot take, as `docker build --target` refuses it: a usage error (issue 20), one line
    throw new UsageError(`--target ${target}: ${name} has no stage named "${target}"${stages.length ? ` (its stages: ${stages.join(', ')})` : ' (it names no stage)'}`);
  }
}

async function askBaseLayers(engineOf: () => Promise<EngineClient | undefined>, text: string, options: LintOptions, into: Map<string, number>): Promise<void> {
  const model = buildModel(parseDockerfile(text), { buildArgs: options.buildArgs, target: options.target });
  const roots = new Set<string>();
  for (const s of model.exported) {
    const st = model.stages[s]!;
    if (st.baseStage === undefined && st.base && st.base.toLowerCase() !== 'scratch' && !st.base.includes('$')) roots.add(st.base);
  }
  for (const ref of roots) {
    if (into.has(ref)) continue;
    const engine = await engineOf();
    if (!engine) return;
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

/** The fixed Dockerfile, whole or not at all (src/atomic-file.ts), its mode kept; a failure is a HostError (exit 6). */
export function writeFixedDockerfile(path: string, text: string): void {
  try {
    writeFileAtomicSync(path, text, { keepMode: true });
  } catch (err) {
    throw new HostError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'Check that the directory is writable; the original file is unchanged.', { cause: err });
  }
}
