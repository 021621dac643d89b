/**
 * The one door through which stowage runs host tools (getfattr, fio, xfs_info, sh, and provisioning's mkfs,
 * wipefs, losetup…): a timeout on every run, a missing tool reported with the Debian package to install,
 * stderr kept in a typed error, and a dry run that records what would run instead of running it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HostError } from '../errors.js';

/** The Debian package that ships each tool stowage runs. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  getfattr: 'attr',
  setfattr: 'attr',
  fio: 'fio',
  xfs_info: 'xfsprogs',
  'mkfs.xfs': 'xfsprogs',
  tune2fs: 'e2fsprogs',
  'mkfs.ext4': 'e2fsprogs',
  sh: 'dash',
  wipefs: 'util-linux',
  losetup: 'mount',
  sfdisk: 'fdisk',
  blkid: 'util-linux',
  lsblk: 'util-linux',
  partx: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  cp: 'coreutils',
  du: 'coreutils',
  find: 'findutils',
  systemctl: 'systemd',
  'systemd-analyze': 'systemd',
  mdadm: 'mdadm',
  setcap: 'libcap2-bin',
  fatrace: 'fatrace',
  debootstrap: 'debootstrap',
  tar: 'tar',
  ip: 'iproute2',
  tc: 'iproute2',
};

export interface ToolCommand {
  tool: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Every run has a deadline; the tool is killed (SIGKILL) when it passes. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Throw on a non-zero exit or a timeout (default); false returns the result whatever the exit. */
  check?: boolean;
  /** Called with each chunk of stdout as it arrives (for timestamping lines). */
  onStdout?: (chunk: Buffer) => void;
  /** Most stdout kept (default 64 MiB); beyond it the tool is killed and the run fails. */
  maxStdoutBytes?: number;
  /** Text written to the tool's stdin (sfdisk's script); stdin is empty otherwise. */
  stdin?: string;
}

export interface ToolResult {
  /** The exit status; -1 when the tool was killed. */
  code: number;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ToolInvocation {
  tool: string;
  args: readonly string[];
  cwd?: string;
  stdin?: string;
}

/** The tool is not on PATH. */
export class ToolMissingError extends HostError {
  constructor(readonly tool: string, readonly debianPackage: string | undefined) {
    super(`${tool} is not installed`, debianPackage ? `Install it: apt-get install ${debianPackage}` : `Install the package that provides ${tool}.`);
  }
}

/** The tool ran and failed (non-zero exit, killed, or too much output); its stderr is kept. */
export class ToolFailedError extends HostError {
  constructor(readonly tool: string, readonly args: readonly string[], readonly code: number, readonly stderr: string, detail?: string) {
    super(`${tool} failed (${detail ?? `exit ${code}`})${firstLine(stderr) ? `: ${firstLine(stderr)}` : ''}`);
  }
}

/** The tool did not finish within its deadline and was killed. */
export class ToolTimeoutError extends HostError {
  constructor(readonly tool: string, readonly timeoutMs: number, readonly stderr: string) {
    super(`${tool} did not finish within ${timeoutMs} ms and was killed`);
  }
}

export interface ToolRunner {
  run(command: ToolCommand): Promise<ToolResult>;
  /** In a dry run, what would have run, in order; empty otherwise. */
  readonly recorded: readonly ToolInvocation[];
  readonly dryRun: boolean;
}

/** A runner; with `dryRun` nothing runs, each command is recorded and answered with exit 0 and no output. */
export function createToolRunner(options: { dryRun?: boolean } = {}): ToolRunner {
  const recorded: ToolInvocation[] = [];
  const dryRun = options.dryRun ?? false;
  return {
    recorded,
    dryRun,
    run: async (command) => {
      if (!dryRun) return runTool(command);
      recorded.push({ tool: command.tool, args: [...command.args], ...(command.cwd ? { cwd: command.cwd } : {}), ...(command.stdin === undefined ? {} : { stdin: command.stdin }) });
      return { code: 0, stdout: Buffer.alloc(0), stderr: '', timedOut: false, durationMs: 0 };
    },
  };
}

/** The runner every host module uses unless given another. */
export const hostTools: ToolRunner = createToolRunner();

function runTool(command: ToolCommand): Promise<ToolResult> {
  const { tool, args, timeoutMs, check = true } = command;
  const maxStdout = command.maxStdoutBytes ?? 64 * 1024 * 1024;
  command.signal?.throwIfAborted();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      cwd: command.cwd,
      env: command.env ? { ...process.env, ...command.env } : process.env,
      stdio: [command.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (command.stdin !== undefined) {
      child.stdin?.on('error', () => undefined); // a tool that exits without reading reports through its exit code
      child.stdin?.end(command.stdin);
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let overflow = false;
    const kill = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
    const timer = setTimeout(() => { timedOut = true; kill(); }, timeoutMs);
    const onAbort = () => kill();
    command.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => { clearTimeout(timer); command.signal?.removeEventListener('abort', onAbort); };
    child.stdout!.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdout) { overflow = true; kill(); return; }
      out.push(chunk);
      command.onStdout?.(chunk);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      // spawn says ENOENT for a missing working directory too: only a present one means the tool is missing
      if (err.code === 'ENOENT' && (!command.cwd || existsSync(command.cwd))) reject(new ToolMissingError(tool, TOOL_PACKAGES[tool]));
      else reject(new HostError(`cannot run ${tool}: ${err.message}`, undefined, { cause: err }));
    });
    child.on('close', (code, signal) => {
      done();
      const result: ToolResult = { code: code ?? -1, stdout: Buffer.concat(out), stderr, timedOut, durationMs: performance.now() - started };
      if (command.signal?.aborted) reject(command.signal.reason);
      else if (overflow) reject(new ToolFailedError(tool, args, result.code, stderr, `more than ${maxStdout} bytes of output`));
      else if (!check) resolve(result);
      else if (timedOut) reject(new ToolTimeoutError(tool, timeoutMs, stderr));
      else if (code !== 0) reject(new ToolFailedError(tool, args, result.code, stderr, signal ? `killed by ${signal}` : undefined));
      else resolve(result);
    });
  });
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
