/**
 * The build context as the engine would receive it: every file not excluded by `.dockerignore`, with sizes,
 * so lint can measure the context and estimate the bytes a COPY brings in.
 */
import { lstatSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { DockerIgnore, globRegex } from './dockerignore.js';

export interface ContextFile {
  /** Context-relative POSIX path. */
  path: string;
  size: number;
}

export interface BuildContext {
  dir: string;
  /** undefined when the context has no .dockerignore. */
  ignore: DockerIgnore | undefined;
  /** Files sent to the engine, sorted by path. */
  files: ContextFile[];
  bytes: number;
  /** Files and bytes `.dockerignore` kept out. */
  excludedFiles: number;
  excludedBytes: number;
  /** Top-level heavy directories sent in the context, with their sizes. */
  sent: { git: ContextFile | undefined; nodeModules: ContextFile | undefined };
  /** The walk stopped at `maxFiles`. */
  truncated: boolean;
}

export interface ContextOptions {
  maxFiles?: number;
  /** Name of the ignore file to prefer, e.g. `Dockerfile.dockerignore` next to the Dockerfile. */
  ignoreFile?: string;
  /** The directory's listing (listDir), when the caller has already read it. */
  entries?: Dirent[];
}

/** Walks a context directory honouring `.dockerignore`; symlinks are counted, never followed. */
export function readBuildContext(dir: string, options: ContextOptions = {}): BuildContext {
  const maxFiles = options.maxFiles ?? 2_000_000;
  // One listing of the top directory serves both the ignore-file lookup and the walk (no stat probes).
  const top = options.entries ?? listDir(dir);
  let ignoreText: string | undefined;
  for (const name of [options.ignoreFile, '.dockerignore']) {
    if (!name || !top?.some((e) => e.name === name)) continue;
    try {
      ignoreText = readFileSync(join(dir, name), 'utf8');
      break;
    } catch {
      // not readable (a directory of that name, a dangling link): as if absent
    }
  }
  const ignore = ignoreText === undefined ? undefined : DockerIgnore.parse(ignoreText);
  const files: ContextFile[] = [];
  let bytes = 0;
  let excludedFiles = 0;
  let excludedBytes = 0;
  let truncated = false;
  const heavy: Record<string, ContextFile> = {};
  const walk = (abs: string, rel: string, entries: Dirent[] | undefined) => {
    if (!entries) return;
    for (const entry of entries) {
      if (files.length >= maxFiles) {
        truncated = true;
        return;
      }
      const name = entry.name;
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = join(abs, name);
      const excluded = ignore?.excludes(childRel) ?? false;
      // The entry's type comes with the listing (d_type); only a file's size needs a stat, and a file
      // system that gives no type (DT_UNKNOWN) gets one lstat as before.
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let size = 0;
      if (isFile || (!isDir && !entry.isSymbolicLink() && !isSpecial(entry))) {
        let st;
        try {
          st = lstatSync(childAbs);
        } catch {
          continue;
        }
        isDir = st.isDirectory();
        isFile = st.isFile();
        size = isFile ? st.size : 0;
      }
      if (isDir) {
        if (excluded && ignore!.prunes(childRel)) {
          excludedFiles++;
          continue;
        }
        walk(childAbs, childRel, listDir(childAbs));
        continue;
      }
      if (excluded) {
        excludedFiles++;
        excludedBytes += size;
        continue;
      }
      files.push({ path: childRel, size });
      bytes += size;
      const topName = childRel.slice(0, childRel.indexOf('/') === -1 ? childRel.length : childRel.indexOf('/'));
      if (topName === '.git' || topName === 'node_modules') {
        const h = (heavy[topName] ??= { path: topName, size: 0 });
        h.size += size;
      }
    }
  };
  walk(dir, '', top);
  return {
    dir,
    ignore,
    files,
    bytes,
    excludedFiles,
    excludedBytes,
    sent: { git: heavy['.git'], nodeModules: heavy.node_modules },
    truncated,
  };
}

/** A directory's entries with their types, sorted by name as readdir's strings sort; undefined when unreadable. */
export function listDir(dir: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return undefined;
  }
}

function isSpecial(e: Dirent): boolean {
  return e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice();
}

/** Files a COPY source (a path or a glob, context-relative) brings in, and their bytes. */
export function sourceFiles(ctx: BuildContext, source: string): { files: number; bytes: number } {
  let src = source.replace(/^\.\/+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (src === '.' || src === '') src = '';
  let files = 0;
  let bytes = 0;
  if (/[*?[]/.test(src)) {
    const re = globRegex(src);
    for (const f of ctx.files) {
      if (re.test(f.path) || prefixes(f.path).some((p) => re.test(p))) {
        files++;
        bytes += f.size;
      }
    }
    return { files, bytes };
  }
  for (const f of ctx.files) {
    if (src === '' || f.path === src || f.path.startsWith(`${src}/`)) {
      files++;
      bytes += f.size;
    }
  }
  return { files, bytes };
}

function prefixes(path: string): string[] {
  const out: string[] = [];
  for (let k = path.indexOf('/'); k !== -1; k = path.indexOf('/', k + 1)) out.push(path.slice(0, k));
  return out;
}

/** Whether a context-relative path exists among the files sent, or as an excluded file on disk. */
export function contextHas(ctx: BuildContext, path: string): boolean {
  const p = path.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return ctx.files.some((f) => f.path === p || f.path.startsWith(`${p}/`));
}
