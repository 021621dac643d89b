/**
 * The built-in disk probes bench disk falls back on when fio is missing: 4 KiB random writes with O_DSYNC
 * (a few in flight on libuv's thread pool) and sequential 1 MiB writes ended by fsync. Files are always removed.
 */
import { constants, promises as fsp } from 'node:fs';
import { hiddenTempPath } from '../atomic-file.js';
import { randomBytes } from 'node:crypto';

export interface IoProbeResult {
  operations: number;
  bytes: number;
  elapsedMs: number;
  latenciesMs: number[];
}

const probePath = (dir: string, kind: string) => hiddenTempPath(dir, kind);

/** Random 4 KiB O_DSYNC writes over a sparse file for `durationMs`, `inFlight` at a time. */
export async function randomWriteProbe(directory: string, options: { durationMs?: number; fileBytes?: number; inFlight?: number; now?: () => number } = {}): Promise<IoProbeResult> {
  const durationMs = options.durationMs ?? 5000;
  const fileBytes = options.fileBytes ?? 64 * 1024 * 1024;
  const inFlight = options.inFlight ?? 4;
  const now = options.now ?? (() => performance.now());
  const path = probePath(directory, 'rand');
  const block = randomBytes(4096);
  const blocks = Math.floor(fileBytes / 4096);
  const latenciesMs: number[] = [];
  const handle = await fsp.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC, 0o600);
  const start = now();
  try {
    await handle.truncate(fileBytes);
    const lane = async () => {
      while (now() - start < durationMs) {
        const t = now();
        await handle.write(block, 0, 4096, Math.floor(Math.random() * blocks) * 4096);
        latenciesMs.push(now() - t);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  } finally {
    await handle.close().catch(() => undefined);
    await fsp.unlink(path).catch(() => undefined);
  }
  const elapsedMs = now() - start;
  return { operations: latenciesMs.length, bytes: latenciesMs.length * 4096, elapsedMs, latenciesMs };
}

/** Sequential 1 MiB writes for `durationMs` or `maxBytes`, then fsync; the fsync is part of the time. */
export async function sequentialWriteProbe(directory: string, options: { durationMs?: number; maxBytes?: number; now?: () => number } = {}): Promise<IoProbeResult> {
  const durationMs = options.durationMs ?? 5000;
  const maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
  const now = options.now ?? (() => performance.now());
  const path = probePath(directory, 'seq');
  const block = randomBytes(1024 * 1024);
  const latenciesMs: number[] = [];
  let bytes = 0;
  const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  const start = now();
  try {
    while (bytes < maxBytes && now() - start < durationMs) {
      const t = now();
      await handle.write(block, 0, block.length, bytes);
      latenciesMs.push(now() - t);
      bytes += block.length;
    }
    await handle.sync();
  } finally {
    await handle.close().catch(() => undefined);
    await fsp.unlink(path).catch(() => undefined);
  }
  return { operations: latenciesMs.length, bytes, elapsedMs: now() - start, latenciesMs };
}
