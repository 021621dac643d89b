/**
 * Files that appear whole or not at all: written under a hidden temporary name beside the target (so the
 * rename stays on one filesystem), fsynced, then renamed; on any failure the temporary is removed. Also the
 * one pattern for stowage's temporary names (files, probe files, tags), so a leftover is recognisable.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `PID-RANDOM`: unique across processes and within one. */
export function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** `.stowage-LABEL-PID-RANDOM` in `dir`: a probe file, a spool, a job file. */
export function hiddenTempPath(dir: string, label: string): string {
  return join(dir, `.stowage-${label}-${uniqueSuffix()}`);
}

/** `.NAME.stowage-PID-RANDOM.tmp` beside `path`: the temporary a file is written under before its rename. */
export function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.stowage-${uniqueSuffix()}.tmp`);
}

export interface AtomicWriteOptions {
  /** File mode; default 0644, or the existing file's with `keepMode`. */
  mode?: number;
  keepMode?: boolean;
  /** Runs on the complete, fsynced temporary before the rename (verification); a throw leaves nothing. */
  check?: (tempPath: string) => Promise<void>;
}

function modeFor(path: string, options: AtomicWriteOptions): number {
  if (options.keepMode) {
    try {
      return statSync(path).mode & 0o7777;
    } catch {
      // a new file
    }
  }
  return options.mode ?? 0o644;
}

/** Writes `content` to `path` atomically; resolves with the bytes written. Errors are the file system's, after cleanup. */
export async function writeFileAtomic(path: string, content: string | Buffer | AsyncIterable<Buffer>, options: AtomicWriteOptions = {}): Promise<number> {
  const temp = tempBeside(path);
  const chunks: AsyncIterable<Buffer> | Buffer[] = typeof content === 'string' ? [Buffer.from(content)] : Buffer.isBuffer(content) ? [content] : content;
  let bytes = 0;
  try {
    const handle = await open(temp, 'wx', modeFor(path, options));
    try {
      for await (const c of chunks) {
        let done = 0;
        while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
        bytes += c.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.check?.(temp);
    await rename(temp, path);
    return bytes;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The same for a small text or buffer, synchronously (a fixed Dockerfile). */
export function writeFileAtomicSync(path: string, content: string | Buffer, options: Omit<AtomicWriteOptions, 'check'> = {}): void {
  const temp = tempBeside(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', modeFor(path, options));
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
}
