/**
 * The distribution API (`/v2/`) as stowage speaks it itself: the only door to a registry besides the
 * engine's own push and pull. Plain HTTP, for the local registries bench hello uses.
 */
import { HostError } from '../errors.js';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

export interface ManifestFigures {
  digest: string | undefined;
  /** Compressed bytes a pull fetches: the layer blobs plus the config blob. */
  bytes: number;
  layers: number;
}

/** Whether `/v2/` answers (200, or 401 for a registry that wants a login). */
export async function registryAnswers(address: string, timeoutMs = 5_000): Promise<boolean> {
  return fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(timeoutMs) })
    .then((r) => r.status === 200 || r.status === 401, () => false);
}

/** The sizes a manifest lists for `repo:tag` (`GET /v2/REPO/manifests/TAG`). */
export async function manifestFigures(address: string, repository: string, tag: string): Promise<ManifestFigures> {
  const url = `http://${address}/v2/${repository}/manifests/${tag}`;
  const r = await fetch(url, { headers: { Accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(10_000) })
    .catch((err: unknown) => { throw new HostError(`registry ${address} did not answer: ${(err as Error).message}`); });
  if (r.status !== 200) throw new HostError(`registry ${address} answered ${r.status} for ${repository}:${tag}'s manifest`);
  const m = (await r.json()) as { config?: { size?: number }; layers?: { size?: number }[] };
  const layers = m.layers ?? [];
  return {
    digest: r.headers.get('docker-content-digest') ?? undefined,
    bytes: layers.reduce((a, l) => a + Number(l.size ?? 0), 0) + Number(m.config?.size ?? 0),
    layers: layers.length,
  };
}
