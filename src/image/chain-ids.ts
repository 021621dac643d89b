/** Chain IDs from the diff IDs of `RootFS.Layers`, bottom first (OCI image spec: ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n))). */
import { createHash } from 'node:crypto';

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let chain: string | undefined;
  for (const diff of diffIds) {
    chain = chain === undefined ? diff : `sha256:${createHash('sha256').update(`${chain} ${diff}`).digest('hex')}`;
    out.push(chain);
  }
  return out;
}
