/**
 * `stowage prune` as a library function: plans the cleanup per phase (what goes with the bytes it frees, what
 * stays and why), and only with `apply` removes, re-checking each object first and measuring what was freed.
 */
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import type { DiskUsage } from '../engine/types.js';
import { RefusedError } from '../errors.js';
import { spaceOf } from '../host/filesystem.js';
import type { ApplyResult } from '../plan/apply-plan.js';
import type { Plan } from '../plan/plan.js';
import { readInventory, type PruneInventory } from './inventory.js';
import { applyPrune } from './prune-apply.js';
import { readSavedPlan, removeSavedPlan, savePlan } from './prune-journal.js';
import { planPrune, protectionsOf, type PhaseState } from './prune-planner.js';
import type { PruneOptions, PruneProtections } from './prune-options.js';

/** `docker system df`'s sizes, by kind, in bytes. */
export interface UsageBytes {
  images: number;
  containers: number;
  volumes: number;
  buildCache: number;
  total: number;
}

export interface PruneMeasured {
  /** `docker system df` before and after the apply, and the difference. */
  engine: { before: UsageBytes; after: UsageBytes; freed: UsageBytes };
  /** The data-root filesystem's free bytes before and after (statfs), when stowage runs on the engine's host. */
  filesystem: { path: string; freeBefore: number; freeAfter: number; freed: number } | { path: string | undefined; unavailable: string };
}

export interface PruneResult {
  schemaVersion: 1;
  apiVersion: string;
  phases: PhaseState[];
  protections: PruneProtections;
  buildCacheUntilMs: number;
  /** `--keep-storage`: the build-cache budget the plan kept to, in bytes. */
  buildCacheKeepBytes?: number;
  /**
   * With a space target or --keep-since: where images' last use came from. `containerTimes`: each container's
   * last start and stop from the engine's saved state (`store`) or inspect; `events`: how many container events
   * the engine's buffer held (it keeps the latest 256), from `eventsSince` (ms).
   */
  lastUse?: { containerTimes: 'store' | 'inspect' | 'none'; events: number; eventsSince?: number };
  /** Set when an interrupted apply's saved plan was resumed instead of planning afresh: when that plan was made. */
  resumedFrom?: { journal: string; plannedAt: string };
  /** `layers`: image bytes from each layer's size (exact); `engine`: for some images, size less the engine's SharedSize (a lower bound). */
  imageBytes: 'layers' | 'engine' | 'none';
  /** Of the image bytes planned, at most this many stay on disk with build cache records that are kept (see the README). */
  imageBytesHeldByCache: number;
  /** With `untilFree`/`untilUsed`: the data-root's size and free bytes at plan time, and the bytes needed to reach the target. */
  spaceTarget?: { flag: string; path: string; totalBytes: number; freeBytes: number; needBytes: number };
  plan: Plan;
  /** Only with `apply`. */
  applied?: ApplyResult;
  measured?: PruneMeasured;
  planMs: number;
  applyMs?: number;
}

/** A plan made on the engine, kept with what it was made from, so that it can be applied as shown. */
export interface PrunePlanned {
  result: PruneResult;
  inventory: PruneInventory;
}

export function usageBytes(usage: DiskUsage): UsageBytes {
  const t = usage.totals;
  const out = { images: t.images.size, containers: t.containers.size, volumes: t.volumes.size, buildCache: t.buildCache.size };
  return { ...out, total: out.images + out.containers + out.volumes + out.buildCache };
}

function difference(before: UsageBytes, after: UsageBytes): UsageBytes {
  const keys = ['images', 'containers', 'volumes', 'buildCache', 'total'] as const;
  return Object.fromEntries(keys.map((k) => [k, before[k] - after[k]])) as unknown as UsageBytes;
}

/** Plans without changing anything. */
export async function planPruneOnEngine(options: PruneOptions, context: CapabilityContext): Promise<PrunePlanned> {
  const started = context.clock.monotonic();
  const engine = await context.engine();
  const space = options.untilFree !== undefined || options.untilUsed !== undefined;
  // images' last use orders a space target and judges --keep-since; without either it is not read
  const lastUse = space || options.protect?.keepSinceMs !== undefined;
  // images' last tag time: for --keep-recent's order, and as a use for the two above
  const inventory = await readInventory(engine, context, { space, lastUse, tagTimes: lastUse || options.protect?.keepRecent !== undefined });
  const planning = planPrune(inventory, options);
  return {
    inventory,
    result: {
      schemaVersion: 1, apiVersion: inventory.apiVersion, phases: planning.phases, protections: protectionsOf(options),
      buildCacheUntilMs: planning.buildCacheUntilMs, ...(options.buildCacheKeepBytes !== undefined ? { buildCacheKeepBytes: options.buildCacheKeepBytes } : {}),
      imageBytes: planning.imageBytes, ...(inventory.lastUse ? { lastUse: inventory.lastUse } : {}),
      imageBytesHeldByCache: planning.imageBytesHeldByCache, ...(planning.spaceTarget ? { spaceTarget: planning.spaceTarget } : {}), plan: planning.plan,
      planMs: Math.round(context.clock.monotonic() - started),
    },
  };
}

/** The named volumes a plan removes: these need `confirmNamedVolumes`. */
export function namedVolumesIn(planned: PrunePlanned): string[] {
  const anonymous = new Set(planned.inventory.volumes.filter((v) => v.anonymous).map((v) => v.name));
  return planned.result.plan.actions.filter((a) => a.kind === 'remove-volume' && !anonymous.has(a.target)).map((a) => a.target);
}

async function freeSpace(engine: EngineClient): Promise<{ path: string; free: number } | { path: string | undefined; unavailable: string }> {
  if (engine.endpoint.transport.kind !== 'unix') return { path: undefined, unavailable: `the engine is remote (${engine.endpoint.url}): its filesystem is not measured here` };
  const path = (await engine.info()).dockerRootDir;
  try {
    return { path, free: (await spaceOf(path)).freeBytes };
  } catch (err) {
    return { path, unavailable: `cannot statfs ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}

/** Applies a plan made by `planPruneOnEngine`, and measures what it freed. */
export async function applyPrunePlan(planned: PrunePlanned, options: PruneOptions, context: CapabilityContext): Promise<PruneResult> {
  const named = namedVolumesIn(planned);
  if (named.length && !options.confirmNamedVolumes) {
    throw new RefusedError(`the plan removes ${named.length} named volume${named.length === 1 ? '' : 's'} (${named.slice(0, 5).join(', ')}${named.length > 5 ? ', …' : ''}) and that needs a confirmation`,
      'Add `confirmNamedVolumes: true` to remove them, or use `volumes: \'anonymous\'`.');
  }
  const started = context.clock.monotonic();
  const engine = await context.engine();
  if (options.journal) savePlan(options.journal, planned);
  const before = usageBytes(planned.inventory.usage);
  const fsBefore = await freeSpace(engine);
  const applied = await applyPrune(planned.result.plan, planned.inventory, engine, context, {
    buildCacheUntilMs: planned.result.buildCacheUntilMs, ...(options.journal ? { journal: options.journal } : {}),
  });
  if (options.journal && !applied.aborted && applied.totals.failed === 0) removeSavedPlan(options.journal);
  context.progress.update({ step: 'measuring what was freed' });
  const after = usageBytes(await engine.diskUsage());
  const fsAfter = await freeSpace(engine);
  const filesystem: PruneMeasured['filesystem'] = 'free' in fsBefore && 'free' in fsAfter
    ? { path: fsBefore.path, freeBefore: fsBefore.free, freeAfter: fsAfter.free, freed: fsAfter.free - fsBefore.free }
    : 'unavailable' in fsBefore ? fsBefore : (fsAfter as { path: string | undefined; unavailable: string });
  return {
    ...planned.result,
    applied,
    measured: { engine: { before, after, freed: difference(before, after) }, filesystem },
    applyMs: Math.round(context.clock.monotonic() - started),
  };
}

/**
 * The plan to apply: with `apply` and a journal that an interrupted apply left, that apply's saved plan
 * (resumed, not re-planned); otherwise a new plan.
 */
export async function planOrResume(options: PruneOptions, context: CapabilityContext): Promise<PrunePlanned> {
  const saved = options.apply && options.journal ? readSavedPlan(options.journal) : undefined;
  if (!saved) return planPruneOnEngine(options, context);
  return { ...saved, result: { ...saved.result, resumedFrom: { journal: options.journal!, plannedAt: new Date(saved.inventory.takenAt).toISOString() } } };
}

/** The capability: the plan, and with `apply` its result. Never removes anything without `apply`. */
export async function pruneCapability(options: PruneOptions, context: CapabilityContext): Promise<PruneResult> {
  const planned = await planOrResume(options, context);
  context.signal.throwIfAborted();
  return options.apply ? applyPrunePlan(planned, options, context) : planned.result;
}
