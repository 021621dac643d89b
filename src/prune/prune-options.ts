/** What `stowage prune` is asked to do: its phases, their switches and the protections that always win. */

/** The phases, in the order they are planned and applied (removing a container can free its image later). */
export const PRUNE_PHASES = ['containers', 'dangling-images', 'build-cache', 'unused-images', 'volumes', 'networks'] as const;
export type PrunePhase = (typeof PRUNE_PHASES)[number];

export const IMAGE_MODES = ['none', 'dangling', 'unused'] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];
export const VOLUME_MODES = ['none', 'anonymous', 'all'] as const;
export type VolumeMode = (typeof VOLUME_MODES)[number];

/** Build cache last used longer ago than this goes by default (as the 10-phase script of DESIGN.md case 4 did). */
export const DEFAULT_BUILD_CACHE_UNTIL_MS = 24 * 3_600_000;

/** `key` (any value) or `key=value`. */
export interface LabelRule {
  key: string;
  value?: string;
}

export interface PruneProtections {
  /** `--keep-label`: images, containers, volumes and networks carrying one of these stay. */
  labels: LabelRule[];
  /** `--keep-image`: globs over `repo:tag` (`app:*`, `registry.example/*`); a glob without a tag matches every tag. */
  images: string[];
  /** Volumes kept by name (globs too). */
  volumes: string[];
  /** `--keep-recent N`: the N newest tags of each repository stay. */
  keepRecent?: number;
  /** `--keep-since`: objects created (images: last tagged or used) less than this long ago stay, ms. */
  keepSinceMs?: number;
}

export interface PruneOptions {
  /** Default `dangling`; `unused` adds every image no kept container uses. */
  images?: ImageMode;
  /** Default `none`; `all` includes named volumes, which `apply` removes only with `confirmNamedVolumes`. */
  volumes?: VolumeMode;
  /** Unused custom networks; default false. */
  networks?: boolean;
  /** Phases left out even when their switch is on (the defaults included). */
  skip?: PrunePhase[];
  /** Build cache last used less than this long ago stays; default 24 h, 0 removes every record not in use. */
  buildCacheUntilMs?: number;
  /**
   * A build-cache budget, as `docker builder prune --keep-storage`: of the records older than `buildCacheUntilMs`,
   * the least recently used go only until the cache (as `docker system df` counts it) is at most this many bytes.
   */
  buildCacheKeepBytes?: number;
  protect?: Partial<PruneProtections>;
  /**
   * A space target for the image phases, as the kubelet's image GC: images go least recently used first only
   * until the data-root filesystem has this share free (`untilFree`) or at most this share used (`untilUsed`),
   * counting what the phases before them free. Needs the engine's data-root on this host.
   */
  untilFree?: number;
  untilUsed?: number;
  /** Without it nothing is removed: the result is the plan. */
  apply?: boolean;
  /** Named volumes are removed only with this (`--yes`, or the CLI's typed confirmation). */
  confirmNamedVolumes?: boolean;
  /** A journal file, so that a killed apply resumes after what it finished. */
  journal?: string;
}

/** Parses `key` or `key=value`. */
export function parseLabelRule(text: string): LabelRule | undefined {
  const eq = text.indexOf('=');
  const key = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!key) return undefined;
  return eq < 0 ? { key } : { key, value: text.slice(eq + 1) };
}

export function labelRuleText(rule: LabelRule): string {
  return rule.value === undefined ? rule.key : `${rule.key}=${rule.value}`;
}

/** The first rule `labels` satisfies, if any. */
export function matchingLabel(labels: Record<string, string> | undefined, rules: readonly LabelRule[]): LabelRule | undefined {
  if (!labels) return undefined;
  return rules.find((r) => Object.hasOwn(labels, r.key) && (r.value === undefined || labels[r.key] === r.value));
}

/** `*` any run of characters, `?` one; a glob with no tag (no `:` after the last `/`) matches every tag of the repository. */
export function globMatches(glob: string, name: string): boolean {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const hasTag = glob.lastIndexOf(':') > glob.lastIndexOf('/');
  return new RegExp(`^${body}${hasTag ? '' : '(:[^/]*)?'}$`).test(name);
}
