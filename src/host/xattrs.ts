/**
 * Extended attributes of every file under a directory, read with getfattr(1) (Debian package `attr`):
 * Node has no xattr API, and stowage takes no native modules. One process reads every tree asked for at
 * once: a spawn costs the caller's main thread milliseconds, and an image has dozens of layer trees.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../errors.js';
import { hostTools, ToolMissingError } from './tool-runner.js';

/** Relative path (byte string, latin1) -> attribute name -> raw value. */
export type TreeXattrs = Map<string, Record<string, Buffer>>;

/** Whether getfattr is on PATH, found without starting a process. */
export function hasGetfattr(path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, 'getfattr'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The attributes under each of `dirs`, in their order, from one getfattr; undefined when it is not installed. */
export async function readTreesXattrs(dirs: string[]): Promise<TreeXattrs[] | undefined> {
  if (!dirs.length) return [];
  let run;
  try {
    // -h: a symlink's own attributes; without it a dangling link is an error and a live one reports its target's
    run = await hostTools.run({
      tool: 'getfattr',
      args: ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', ...dirs],
      env: { LC_ALL: 'C' },
      timeoutMs: 600_000,
      maxStdoutBytes: 1 << 30,
      // a file vanishing mid-walk makes getfattr exit 1 with the rest of its output still good
      check: false,
    });
  } catch (err) {
    if (err instanceof ToolMissingError) return undefined;
    throw err;
  }
  if (run.code !== 0 && run.stdout.length === 0 && run.stderr) {
    throw new HostError(`getfattr failed on ${dirs.length === 1 ? dirs[0] : `${dirs.length} directories from ${dirs[0]}`}: ${run.stderr.trim().split('\n')[0]}`);
  }
  return parseGetfattr(run.stdout.toString('latin1'), dirs);
}

/**
 * Parses `getfattr -R -d -e hex --absolute-names ROOT...` output into one map per root; file names use octal
 * escapes for unusual bytes. getfattr walks its arguments in order, so a root's files come before the next
 * root's.
 */
export function parseGetfattr(text: string, roots: string[]): TreeXattrs[] {
  const result: TreeXattrs[] = roots.map(() => new Map());
  const prefixes = roots.map((r) => (r.endsWith('/') ? r : `${r}/`));
  let root = 0;
  let current: Record<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unescapeName(line.slice(8));
      const under = (i: number) => abs === roots[i] || `${abs}/` === prefixes[i] || abs.startsWith(prefixes[i]!);
      while (root < roots.length - 1 && !under(root)) root++;
      const prefix = prefixes[root]!;
      const rel = `${abs}/` === prefix || abs === roots[root] ? '' : abs.startsWith(prefix) ? abs.slice(prefix.length) : abs;
      current = {};
      result[root]!.set(rel, current);
      continue;
    }
    if (!current || !line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      current[unescapeName(line)] = Buffer.alloc(0);
      continue;
    }
    const name = unescapeName(line.slice(0, eq));
    const value = line.slice(eq + 1);
    if (value.startsWith('0x')) current[name] = Buffer.from(value.slice(2), 'hex');
    else if (value.startsWith('"')) current[name] = Buffer.from(unescapeName(value.slice(1, -1)), 'latin1');
    else current[name] = Buffer.from(value, 'latin1');
  }
  return result;
}

function unescapeName(s: string): string {
  return s.replace(/\\([0-7]{3}|\\)/g, (_, code: string) => (code === '\\' ? '\\' : String.fromCharCode(parseInt(code, 8))));
}
