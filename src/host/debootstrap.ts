/** A minimal Debian root filesystem from `debootstrap` (bench hello's suite base), as a tar stream for the engine. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError } from '../errors.js';
import { hostTools, type ToolRunner } from './tool-runner.js';

export interface DebootstrapOptions {
  suite: string;
  mirror: string;
  runner?: ToolRunner;
  signal?: AbortSignal;
}

/**
 * Runs `debootstrap --variant=minbase SUITE DIR MIRROR` in a temporary directory and hands `use` the rootfs as
 * a tar stream (GNU tar, numeric owners); the directory is removed afterwards, whatever `use` does.
 */
export async function withDebianRootfs<T>(options: DebootstrapOptions, use: (tar: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
  const runner = options.runner ?? hostTools;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-debootstrap-'));
  try {
    await runner.run({
      tool: 'debootstrap', args: ['--variant=minbase', options.suite, join(dir, 'root'), options.mirror],
      timeoutMs: 1_800_000, ...(options.signal ? { signal: options.signal } : {}),
    });
    const tar = spawn('tar', ['--numeric-owner', '--xattrs', '-C', join(dir, 'root'), '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    tar.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? -1)));
    const result = await use(tar.stdout! as AsyncIterable<Buffer>);
    const code = await exited;
    if (code !== 0) throw new HostError(`tar of the debootstrap root failed (${code}): ${stderr.trim()}`);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
