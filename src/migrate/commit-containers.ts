/**
 * `--containers`: each container's writable layer committed as an image on the source (`docker commit`,
 * not paused), tagged `stowage-migrate/NAME:ID12`, so it migrates with the other images and the container
 * can be recreated from it on the target. Only the filesystem changes travel: the container's configuration
 * (ports, environment, mounts, restart policy, networks) does not, and the images stay on the source.
 */
import type { EngineClient } from '../engine/engine-client.js';
import { HELPER_LABEL } from './volume-helper.js';

export interface CommittedContainer {
  container: string;
  image: string;
  tag: string;
}

export const COMMIT_REPO = 'stowage-migrate';

/** `stowage-migrate/NAME:ID12`, NAME lowercased (a repository name allows no capitals). */
export function commitTag(name: string, id: string): { repo: string; tag: string } {
  const clean = name.replace(/^\//, '').toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[._-]+/, '') || 'container';
  return { repo: `${COMMIT_REPO}/${clean}`, tag: id.slice(0, 12) };
}

export async function commitContainers(engine: EngineClient): Promise<CommittedContainer[]> {
  const out: CommittedContainer[] = [];
  for (const c of await engine.listContainers({ all: true })) {
    if (c.labels?.[HELPER_LABEL]) continue;
    const name = (c.names[0] ?? c.id).replace(/^\//, '');
    const { repo, tag } = commitTag(name, c.id);
    const image = await engine.commitContainer(c.id, repo, tag, `stowage migrate --containers: the writable layer of ${name} (${c.id.slice(0, 12)}) over ${c.image}`);
    out.push({ container: name, image, tag: `${repo}:${tag}` });
  }
  return out;
}
