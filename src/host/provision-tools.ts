/**
 * The host commands `stowage provision` runs, each built as a ToolInvocation first so that the plan shows the
 * exact command line that apply runs (the same builder serves both), then run through the tool runner.
 */
import type { HostFs } from './host-fs.js';
import { hostTools, type ToolInvocation, type ToolRunner } from './tool-runner.js';

export type ProvisionFs = 'xfs' | 'ext4';

export interface FilesystemSpec {
  fs: ProvisionFs;
  device: string;
  label: string;
  /** Set by stowage so that an ephemeral disk re-made at boot keeps the UUID its mount names. */
  uuid: string;
  /** On an md RAID0: XFS's log stripe unit is set to 32 KiB (the array's 512 KiB chunk is above XFS's log maximum). */
  striped?: boolean;
}

/**
 * mkfs with what overlay2 needs: XFS with ftype=1 (d_type), ext4 with a journal and the filetype feature
 * (d_type). Neither gets a force flag: mkfs's own refusal of an existing signature stays a second guard.
 */
export function mkfsCommand(spec: FilesystemSpec): ToolInvocation {
  return spec.fs === 'xfs'
    ? { tool: 'mkfs.xfs', args: ['-q', '-L', spec.label, '-m', `uuid=${spec.uuid}`, '-n', 'ftype=1', ...(spec.striped ? ['-l', 'su=8b'] : []), spec.device] }
    : { tool: 'mkfs.ext4', args: ['-q', '-L', spec.label, '-U', spec.uuid, '-O', 'has_journal,filetype', spec.device] };
}

/** The mount options overlay2 wants: `pquota` on XFS so that `--storage-opt size=` works (when the kernel has XFS quota). */
export function mountOptions(fs: ProvisionFs, quota = true): string {
  return fs === 'xfs' && quota ? 'defaults,pquota' : 'defaults';
}

export function mountCommand(fs: ProvisionFs, device: string, where: string, quota = true): ToolInvocation {
  return { tool: 'mount', args: ['-t', fs, '-o', mountOptions(fs, quota), device, where] };
}

/** Whether the kernel was built with XFS quota (it lists /proc/fs/xfs/xqm); without it a `pquota` mount fails. */
export function kernelHasXfsQuota(fs: HostFs): boolean {
  return fs.listDir('/proc/fs/xfs').includes('xqm');
}

/** Erases every signature, keeping a backup of each in $HOME (`wipefs --backup`; `dd` puts one back). */
export function wipeCommand(device: string): ToolInvocation {
  return { tool: 'wipefs', args: ['--all', '--backup', device] };
}

/** A GPT with one partition of `firstBytes` and one with the rest, named so a rerun knows them (sfdisk's script on stdin). */
export function partitionCommand(device: string, firstBytes: number, names: readonly [string, string]): ToolInvocation {
  const mib = Math.floor(firstBytes / (1024 * 1024));
  return { tool: 'sfdisk', args: ['--quiet', '--wipe', 'never', device], stdin: `label: gpt\nsize=${mib}MiB, type=linux, name=${names[0]}\ntype=linux, name=${names[1]}\n` };
}

/** Tells the kernel about the new partitions (sfdisk's own re-read fails on a loop device without partscan). */
export function partitionRereadCommand(device: string): ToolInvocation {
  return { tool: 'partx', args: ['--update', device] };
}

export function systemctlCommand(verb: string, units: readonly string[]): ToolInvocation {
  return { tool: 'systemctl', args: [verb, ...units] };
}

/** A command line as a user would type it (arguments with spaces or quotes single-quoted). */
export function commandLine(c: ToolInvocation): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const line = [c.tool, ...c.args].map(quote).join(' ');
  return c.stdin === undefined ? line : `printf '${c.stdin.replace(/\n/g, '\\n')}' | ${line}`;
}

/** Runs one built command (timeouts generous: mkfs on a large disk, a copy of a data-root). */
export async function runInvocation(c: ToolInvocation, options: { tools?: ToolRunner; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
  const tools = options.tools ?? hostTools;
  const r = await tools.run({ ...c, timeoutMs: options.timeoutMs ?? 600_000, ...(options.signal ? { signal: options.signal } : {}) });
  return r.stdout.toString('utf8');
}

/** Bytes of a tree on one filesystem (`du -sxb`), the data a move copies. */
export async function treeBytes(path: string, options: { tools?: ToolRunner; signal?: AbortSignal } = {}): Promise<number> {
  const tools = options.tools ?? hostTools;
  const r = await tools.run({ tool: 'du', args: ['-sxb', path], timeoutMs: 600_000, check: false, ...(options.signal ? { signal: options.signal } : {}) });
  const n = Number(r.stdout.toString('utf8').split(/\s/)[0]);
  return Number.isFinite(n) ? n : 0;
}

/** The current `blkid -p` answer for a device (TYPE, UUID, LABEL…), empty when it holds nothing. */
export async function probeSignature(device: string, options: { tools?: ToolRunner; signal?: AbortSignal } = {}): Promise<Record<string, string>> {
  const tools = options.tools ?? hostTools;
  const r = await tools.run({ tool: 'blkid', args: ['-p', '-o', 'export', device], timeoutMs: 30_000, check: false, ...(options.signal ? { signal: options.signal } : {}) });
  if (r.code !== 0) return {};
  const out: Record<string, string> = {};
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

export function unmountCommand(where: string): ToolInvocation {
  return { tool: 'umount', args: [where] };
}

/** The device holding the filesystem with this UUID (`blkid -U` scans devices itself: no udev link needed). */
export async function deviceByUuid(uuid: string, options: { tools?: ToolRunner; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const tools = options.tools ?? hostTools;
  const r = await tools.run({ tool: 'blkid', args: ['-U', uuid], timeoutMs: 30_000, check: false, ...(options.signal ? { signal: options.signal } : {}) });
  const device = r.stdout.toString('utf8').trim();
  return r.code === 0 && device ? device : undefined;
}
