/** Hashes a store's blobs against its manifest; a missing or changed blob is named with what uses it. */
import { hashBlob } from './blob-store.js';
import type { Difference } from './migrate-types.js';
import { blobUsers, type StoreManifest } from './store-manifest.js';

export async function checkBlobs(dir: string, manifest: StoreManifest, digests: Iterable<string>, onBytes?: (n: number) => void): Promise<{ differences: Difference[]; blobs: number; bytes: number }> {
  const users = blobUsers(manifest);
  const sizes = new Map(manifest.blobs.map((b) => [b.digest, b.size]));
  const differences: Difference[] = [];
  let blobs = 0;
  let bytes = 0;
  for (const digest of new Set(digests)) {
    const usedBy = users.get(digest) ?? [];
    const found = await hashBlob(dir, digest, onBytes);
    blobs++;
    if (!found) {
      differences.push({ code: 'blob-missing', subject: digest, detail: `blob ${digest} is missing from ${dir}`, usedBy });
      continue;
    }
    bytes += found.size;
    if (found.digest !== digest || (sizes.has(digest) && sizes.get(digest) !== found.size)) {
      differences.push({ code: 'blob-corrupt', subject: digest, usedBy,
        detail: `blob ${digest} hashes to ${found.digest} (${found.size} bytes, the manifest says ${sizes.get(digest) ?? '?'}): used by ${usedBy.join(', ') || 'nothing'}` });
    }
  }
  return { differences, blobs, bytes };
}
