/**
 * Blobs named by their sha256: each is written under a temporary name, hashed as it goes, fsynced and renamed
 * to its digest only when complete, so a blob that exists is whole; one already present is not written again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hiddenTempPath } from '../atomic-file.js';
import { blobPath } from './store-manifest.js';

export interface WrittenBlob {
  digest: string;
  size: number;
  /** False when a blob with this digest was already there (the bytes were read, not kept). */
  written: boolean;
}

export async function ensureBlobDir(dir: string): Promise<string> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  return blobs;
}

/** Writes `body` as a blob of the store at `dir`; resolves with its digest. */
export async function writeBlob(dir: string, body: AsyncIterable<Buffer>, onBytes?: (n: number) => void): Promise<WrittenBlob> {
  const blobs = await ensureBlobDir(dir);
  const temp = hiddenTempPath(blobs, 'blob');
  const hash = createHash('sha256');
  let size = 0;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      for await (const c of body) {
        hash.update(c);
        let done = 0;
        while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
        size += c.length;
        onBytes?.(c.length);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const digest = `sha256:${hash.digest('hex')}`;
    const path = blobPath(dir, digest);
    if (await present(path, size)) {
      await rm(temp, { force: true });
      return { digest, size, written: false };
    }
    await rename(temp, path);
    return { digest, size, written: true };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Whether the blob file exists with `size` bytes (its name vouches for its content: it was renamed only once hashed). */
export async function present(path: string, size?: number): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && (size === undefined || s.size === size);
  } catch {
    return false;
  }
}

/** The sha256 and size of a blob as it is now on disk; undefined when it is missing. */
export async function hashBlob(dir: string, digest: string, onBytes?: (n: number) => void): Promise<{ digest: string; size: number } | undefined> {
  const path = blobPath(dir, digest);
  if (!(await present(path))) return undefined;
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(c);
    size += c.length;
    onBytes?.(c.length);
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
