/**
 * Copies a data-root onto a new disk with several `cp -a` at once, one per subtree (overlay2/<layer>,
 * volumes/<name>, ...), then one closing `cp -a -u` of the whole tree. A single cp reads a file, then writes
 * it, one file at a time: on a busy host it waits on each in turn and gets one process's share of the CPU
 * (issue 16: 1.7x rsync's time, whose sender and receiver overlap). Subtrees that share a hardlinked inode go
 * to the same cp, which keeps the link without writing the data twice; the closing pass copies nothing that is
 * there already, only the top directories' owners, modes, times and xattrs (set after their contents, so the
 * times stay). `-a` keeps overlay2's whiteouts (device nodes); `--sparse=always` punches the holes XFS's
 * speculative preallocation would otherwise leave allocated.
 */
import { lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, runInvocation } from './provision-tools.js';
import { hostTools, type ToolInvocation, type ToolRunner } from './tool-runner.js';

/** How many cp run at once: reads overlap with writes, and a loaded host gives each its share. */
export const COPY_JOBS = 8;

const CP = ['-a', '--sparse=always'];

/** One subtree's copy: paths relative to `from`, copied under `to` with their parent directories (`--parents`). */
export function copyPartCommand(from: string, to: string, parts: readonly string[]): ToolInvocation {
  return { tool: 'cp', args: [...CP, '--parents', '-t', to, '--', ...parts], cwd: from };
}

/** The closing pass: copies what is missing (-u: not what is there with the same time) and sets the directories' attributes. */
export function copyCloseCommand(from: string, to: string): ToolInvocation {
  return { tool: 'cp', args: [...CP, '-u', `${from}/.`, `${to}/`] };
}

/** The files with more than one name, printed as "dev:ino path" NUL-terminated. */
export function hardlinksCommand(from: string): ToolInvocation {
  return { tool: 'find', args: ['.', '!', '-type', 'd', '-links', '+1', '-printf', '%D:%i %P\\0'], cwd: from };
}

/** The command lines of the copy, as the plan shows them. */
export function copyTreeLines(from: string, to: string): string[] {
  return [`cd ${from} && ${commandLine(hardlinksCommand(from))}  # subtrees that share an inode go to one cp`,
    `cd ${from} && ${commandLine(copyPartCommand(from, to, ['SUBTREE...']))}  # ${COPY_JOBS} at a time: each */* entry and top-level file`,
    `${commandLine(copyCloseCommand(from, to))}  # the top directories' attributes; what is there already is not copied`];
}

/** The subtrees: every entry two levels down (overlay2/<layer>), and every non-directory at the top. */
export function treeParts(from: string): string[] {
  const parts: string[] = [];
  for (const top of readdirSync(from).sort()) {
    if (!lstatSync(join(from, top)).isDirectory()) parts.push(top);
    else for (const entry of readdirSync(join(from, top)).sort()) parts.push(`${top}/${entry}`);
  }
  return parts;
}

/**
 * Groups parts so that each hardlinked inode lies in one group: `links` maps an inode ("dev:ino") to the
 * paths (relative to the tree) of its names.
 */
export function groupParts(parts: readonly string[], links: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map(parts.map((p, i) => [p, i]));
  const parent = parts.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  const partOf = (path: string): number | undefined => {
    const [a, b] = path.split('/');
    return index.get(a!) ?? index.get(`${a}/${b}`);
  };
  for (const names of links.values()) {
    const owners = names.map(partOf).filter((i): i is number => i !== undefined);
    for (const i of owners.slice(1)) parent[root(i)] = root(owners[0]!);
  }
  const groups = new Map<number, string[]>();
  parts.forEach((p, i) => { const r = root(i); groups.set(r, [...(groups.get(r) ?? []), p]); });
  return [...groups.values()];
}

/** Inodes with more than one name in the tree (`find -links +1`), keyed "dev:ino". */
async function hardlinks(from: string, tools: ToolRunner, signal?: AbortSignal): Promise<Map<string, string[]>> {
  const r = await tools.run({ ...hardlinksCommand(from), timeoutMs: 3_600_000, ...(signal ? { signal } : {}) });
  const out = new Map<string, string[]>();
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    const sp = rec.indexOf(' ');
    if (sp > 0) out.set(rec.slice(0, sp), [...(out.get(rec.slice(0, sp)) ?? []), rec.slice(sp + 1)]);
  }
  return out;
}

/** Copies `from`'s contents into the existing directory `to`, keeping hardlinks, owners, modes, times, xattrs and holes. */
export async function copyTree(from: string, to: string, options: { tools?: ToolRunner; signal?: AbortSignal; timeoutMs?: number; jobs?: number } = {}): Promise<void> {
  const tools = options.tools ?? hostTools;
  const run = (c: ToolInvocation) => runInvocation(c, { tools, timeoutMs: options.timeoutMs ?? 24 * 3600_000, ...(options.signal ? { signal: options.signal } : {}) });
  const parts = treeParts(from);
  const queue = groupParts(parts, await hardlinks(from, tools, options.signal));
  // the top directories exist before the cps start, so that none races another to make one (the closing pass sets their attributes)
  const tops = new Set(parts.filter((p) => p.includes('/')).map((p) => p.split('/')[0]!));
  if (!tools.dryRun) for (const top of tops) mkdirSync(join(to, top), { recursive: true });
  let failed = false;
  const worker = async () => {
    for (let group = queue.shift(); group && !failed; group = queue.shift()) {
      try { await run(copyPartCommand(from, to, group)); } catch (err) { failed = true; throw err; }
    }
  };
  // every cp has ended before a failure is reported: none still writes while the step says it stopped
  const ended = await Promise.allSettled(Array.from({ length: options.jobs ?? COPY_JOBS }, worker));
  const failure = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failure) throw failure.reason;
  await run(copyCloseCommand(from, to));
}
