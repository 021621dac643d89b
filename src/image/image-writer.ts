/**
 * What the image writers (docker-archive, OCI layout, engine load) take: layers as streams, and the config,
 * built once every layer's diff ID is known (a squashed layer's digest exists only after it is written).
 * Files are written under a temporary name in the destination's directory and renamed at the end; on any
 * failure the partial file is removed, so a destination holds a whole image or nothing.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { HostError, RefusedError, StowageError } from '../errors.js';
import type { Compression } from './decompress.js';

export interface OutputLayer {
  /** The uncompressed digest when known up front (kept layers); computed while writing otherwise. */
  diffId?: string | undefined;
  /** Bytes of the stream `open` yields. */
  size: number;
  compression: Compression;
  open(): AsyncIterable<Buffer>;
  /** Leave the bytes out: the receiving engine already has this layer (docker load looks it up by chain ID first). */
  omit?: boolean | undefined;
}

export interface ImageToWrite {
  layers: OutputLayer[];
  /** The config JSON for these diff IDs, bottom to top. */
  config(diffIds: string[]): Buffer;
  /** `repo:tag` names to record. */
  repoTags: string[];
}

export interface WrittenImage {
  /** `sha256:` of the config: the image ID. */
  id: string;
  diffIds: string[];
  /** Bytes written (the archive, or every file of the layout). */
  bytes: number;
  /** Digest of the OCI manifest, when one was written. */
  manifestDigest?: string | undefined;
}

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;


/** Turns a filesystem error while writing `path` into HostError (disk full, permission) or passes it on. */
export function hostFailure(err: unknown, path: string): Error {
  if (err instanceof StowageError) return err;
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the directory does not exist',
    EIO: 'I/O error',
  };
  if (e?.code && why[e.code]) return new HostError(`cannot write ${path}: ${why[e.code]}`, e.code === 'ENOSPC' ? 'Free space on that filesystem or write the image elsewhere.' : undefined, { cause: err });
  return err as Error;
}

/** Throws RefusedError when `path` exists and `force` is not set. */
export async function refuseExisting(path: string, force: boolean, what: string): Promise<void> {
  const exists = await stat(path).then(() => true, () => false);
  if (exists && !force) throw new RefusedError(`${what} ${path} exists`, 'Pass `force: true` to replace it.');
}

export { tempBeside } from '../atomic-file.js';

/**
 * Writes `chunks` to `path` through a temporary file: fsync, then `check` (verification) on the temporary
 * file, then rename. Nothing is left at either name when anything fails.
 */
export async function writeFileAtomically(path: string, chunks: AsyncIterable<Buffer>, options: { force: boolean; check?: (tempPath: string) => Promise<void> }): Promise<number> {
  await refuseExisting(path, options.force, 'output file');
  try {
    return await writeFileAtomic(path, chunks, {
      check: async (temp) => {
        await options.check?.(temp);
        await refuseExisting(path, options.force, 'output file');
      },
    });
  } catch (err) {
    throw hostFailure(err, path);
  }
}
