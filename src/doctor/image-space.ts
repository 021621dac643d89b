/**
 * The per-image space table of `docker system df -v`: each image's size, the part it shares with other
 * images (common base layers), the part only it holds, and how many containers use it. Unique bytes are
 * what removing the image alone would free.
 */
import type { DiskUsage } from '../engine/types.js';

export interface ImageSpaceRow {
  id: string;
  /** The first tag's repository and tag, as `docker system df -v` shows them; `<none>` when dangling. */
  repository: string;
  tag: string;
  repoTags: string[];
  created: number;
  size: number;
  /** Bytes in layers other images use too; undefined when the engine did not compute it. */
  sharedSize: number | undefined;
  uniqueSize: number | undefined;
  /** Containers created from the image; undefined when the engine did not count. */
  containers: number | undefined;
}

/** Splits `repo:tag` at the tag's colon (a registry's port colon comes before the last slash). */
export function splitRepoTag(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repository: ref, tag: '<none>' };
}

/** Rows with the most unique bytes first: those are the images worth removing. */
export function imageSpaceRows(usage: DiskUsage): ImageSpaceRow[] {
  return usage.images.map((i) => {
    const named = !i.dangling && i.repoTags[0] ? splitRepoTag(i.repoTags[0]) : { repository: '<none>', tag: '<none>' };
    const sharedSize = i.sharedSize >= 0 ? i.sharedSize : undefined;
    return {
      id: i.id, ...named, repoTags: i.repoTags, created: i.created, size: i.size,
      sharedSize, uniqueSize: sharedSize === undefined ? undefined : i.size - sharedSize,
      containers: i.containers >= 0 ? i.containers : undefined,
    };
  }).sort((a, b) => (b.uniqueSize ?? b.size) - (a.uniqueSize ?? a.size) || a.id.localeCompare(b.id));
}
