/**
 * Checksums of a file's content. sha256 is the digest images use, analyze reports and a read-back of an
 * output is compared with. crc32 serves where stowage compares two readings of bytes it holds itself (a
 * layer's files as written and as found in the very bytes sent): it catches every accidental difference
 * of up to 32 bits and any corruption with odds of 2^-32, at a sixth of sha256's cost on the hot path (crc32.ts).
 */
import { createHash } from 'node:crypto';
import { crc32 } from './crc32.js';

export type ContentHashKind = 'sha256' | 'crc32';

export interface ContentHasher {
  update(chunk: Buffer): void;
  /** `sha256:<hex>` or `crc32:<8 hex>`. */
  digest(): string;
}

export function contentHasher(kind: ContentHashKind): ContentHasher {
  if (kind === 'sha256') {
    const hash = createHash('sha256');
    return { update: (chunk) => { hash.update(chunk); }, digest: () => `sha256:${hash.digest('hex')}` };
  }
  let value = 0;
  return { update: (chunk) => { value = crc32(chunk, value); }, digest: () => `crc32:${value.toString(16).padStart(8, '0')}` };
}

/** The checksum of an empty file. */
export function emptyDigest(kind: ContentHashKind): string {
  return contentHasher(kind).digest();
}
