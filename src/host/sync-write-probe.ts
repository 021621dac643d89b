/**
 * The sync-write probe: N writes of 1 MiB with O_DSYNC into a directory, the same test as
 * `dd if=/dev/zero of=FILE bs=1M count=10 oflag=sync`. The probe file is always removed.
 */
import { constants, promises as fsp } from 'node:fs';
import { hiddenTempPath } from '../atomic-file.js';

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
  /** Give up waiting after this long: a write stuck on a throttled disk can take minutes (the gp2 incident). */
  deadlineMs?: number;
  now?: () => number;
}

const TIMED_OUT = Symbol('timed out');

export async function syncWriteProbe(directory: string, options: SyncWriteOptions = {}): Promise<SyncWriteResult> {
  const writes = options.writes ?? 10;
  const blockBytes = options.blockBytes ?? 1024 * 1024;
  const deadlineMs = options.deadlineMs ?? 20_000;
  const now = options.now ?? (() => performance.now());
  const path = hiddenTempPath(directory, 'probe');
  const block = Buffer.alloc(blockBytes);
  const latenciesMs: number[] = [];
  const start = now();
  const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC, 0o600);
  const cleanup = () => handle.close().catch(() => undefined).then(() => fsp.unlink(path).catch(() => undefined));
  let inFlight: Promise<unknown> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < writes; i++) {
      const left = deadlineMs - (now() - start);
      if (left <= 0) break;
      const t = now();
      inFlight = handle.write(block, 0, blockBytes, i * blockBytes);
      const deadline = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), left); });
      const outcome = await Promise.race([inFlight, deadline]);
      clearTimeout(timer);
      if (outcome === TIMED_OUT) break;
      inFlight = undefined;
      latenciesMs.push(now() - t);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  // A write still in the kernel cannot be cancelled: remove the file once it returns. Node keeps the
  // process alive until then, so the probe file never outlives stowage.
  if (inFlight) void inFlight.catch(() => undefined).then(cleanup);
  else await cleanup();
  return { directory, writes, blockBytes, latenciesMs, totalMs: now() - start, timedOut: latenciesMs.length < writes };
}
