/**
 * The sync-write probe: N writes of 1 MiB with O_DSYNC into a directory, the same test as
 * `dd if=/dev/zero of=FILE bs=1M count=10 oflag=sync`. The probe file is always removed.
 */
import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface SyncWriteResult {
  directory: string;
  writes: number;
  blockBytes: number;
  /** Milliseconds each completed write took. */
  latenciesMs: number[];
  totalMs: number;
  /** True when the deadline passed before every write completed. */
  timedOut: boolean;
}

export interface SyncWriteOptions {
  writes?: number;
  blockBytes?: number;
  /** Stop issuing writes after this long; the write in flight is waited for (it cannot be cancelled). */
  deadlineMs?: number;
  now?: () => number;
}

export async function syncWriteProbe(directory: string, options: SyncWriteOptions = {}): Promise<SyncWriteResult> {
  const writes = options.writes ?? 10;
  const blockBytes = options.blockBytes ?? 1024 * 1024;
  const deadlineMs = options.deadlineMs ?? 20_000;
  const now = options.now ?? (() => performance.now());
  const path = join(directory, `.stowage-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const block = Buffer.alloc(blockBytes);
  const latenciesMs: number[] = [];
  const start = now();
  let timedOut = false;
  const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC, 0o600);
  try {
    for (let i = 0; i < writes; i++) {
      if (now() - start > deadlineMs) {
        timedOut = true;
        break;
      }
      const t = now();
      await handle.write(block, 0, blockBytes, i * blockBytes);
      latenciesMs.push(now() - t);
    }
  } finally {
    await handle.close().catch(() => undefined);
    await fsp.unlink(path).catch(() => undefined);
  }
  return { directory, writes, blockBytes, latenciesMs, totalMs: now() - start, timedOut };
}
