/**
 * Applies a prune plan: every object is re-checked just before it goes (a container started on a planned image
 * since the plan keeps that image), and the engine's own refusal (409: in use) is a skip, never a failure.
 */
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import type { BuildCacheUsage, ImageDetail } from '../engine/types.js';
import { EngineRequestError } from '../errors.js';
import { applyPlan, SkipAction, type ApplyResult } from '../plan/apply-plan.js';
import type { Plan, PlanAction } from '../plan/plan.js';
import type { PruneInventory } from './inventory.js';

/** A removal the engine answered with "in use" (409, or 403 for a network with endpoints) or "gone" (404) is skipped. */
async function engineSkips<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof EngineRequestError && (err.statusCode === 409 || err.statusCode === 403)) throw new SkipAction(`the engine refused: ${err.message}`);
    if (err instanceof EngineRequestError && err.statusCode === 404) throw new SkipAction('already gone');
    throw err;
  }
}

async function exists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof EngineRequestError && err.statusCode === 404) return undefined;
    throw err;
  }
}

export async function applyPrune(plan: Plan, inventory: PruneInventory, engine: EngineClient, context: CapabilityContext,
  options: { buildCacheUntilMs: number; journal?: string }): Promise<ApplyResult> {
  const plannedTags = new Map(inventory.images.map((i) => [i.id, new Set(i.repoTags)]));
  const containerName = (id: string) => inventory.containers.find((c) => c.id === id)?.name ?? id.slice(0, 12);
  let cache: Map<string, BuildCacheUsage> | undefined;
  const sharedCache = new Set(inventory.buildCache.filter((r) => r.shared).map((r) => r.id));
  let done = 0;
  const inspected = new Map<string, ImageDetail>();

  // each re-check asks the engine for the containers of that one object (its filters), not for every container:
  // on a host with thousands of containers a full list per removal was most of apply's time
  const recheck = async (a: PlanAction): Promise<string | undefined> => {
    context.progress.update({ step: `re-checking ${a.kind.replace('remove-', '')} ${a.target.slice(0, 19)}`, done, total: plan.actions.length, unit: 'items' });
    switch (a.kind) {
      case 'remove-container': {
        const c = await exists(() => engine.inspectContainer(a.target));
        if (!c) return 'already gone';
        return c.running ? `${containerName(a.target)} was started since the plan` : undefined;
      }
      case 'remove-image': {
        const image = await exists(() => engine.inspectImage(a.target));
        if (!image) return 'already gone';
        inspected.set(a.target, image);
        const users = (await engine.listContainers({ all: true, ancestor: a.target })).filter((c) => c.imageId === a.target);
        if (users.length) return `used by container ${users.map((c) => c.names[0] ?? c.id.slice(0, 12)).join(', ')} since the plan`;
        const planned = plannedTags.get(a.target) ?? new Set<string>();
        const added = image.repoTags.filter((t) => t !== '<none>:<none>' && !planned.has(t));
        return added.length ? `tagged ${added.join(', ')} since the plan` : undefined;
      }
      case 'remove-build-cache': {
        // one disk-usage read for the whole phase: it walks the cache and is the slowest call there is
        cache ??= new Map((await engine.diskUsage()).buildCache.map((r) => [r.id, r]));
        const r = cache.get(a.target);
        if (!r) return 'already gone';
        if (r.inUse) return 'in use by a build since the plan';
        const last = Date.parse(r.lastUsedAt ?? r.createdAt ?? '');
        return Number.isFinite(last) && context.clock.now() - last < options.buildCacheUntilMs ? 'used by a build since the plan' : undefined;
      }
      case 'remove-volume': {
        const users = (await engine.listContainers({ all: true, volume: a.target })).filter((c) => (c.mounts ?? []).some((m) => m.type === 'volume' && m.name === a.target));
        return users.length ? `mounted by container ${users.map((c) => c.names[0] ?? c.id.slice(0, 12)).join(', ')} since the plan` : undefined;
      }
      case 'remove-network': {
        const name = inventory.networks.find((n) => n.id === a.target)?.name ?? a.target;
        const users = (await engine.listContainers({ all: true, network: name })).filter((c) => (c.networks ?? []).includes(name));
        return users.length ? `container ${users.map((c) => c.names[0] ?? c.id.slice(0, 12)).join(', ')} attached since the plan` : undefined;
      }
      default:
        return `unknown action ${a.kind}`;
    }
  };

  const perform = async (a: PlanAction): Promise<{ bytes?: number } | void> => {
    context.progress.update({ step: `removing ${a.kind.replace('remove-', '')} ${a.target.slice(0, 19)}`, done: done++, total: plan.actions.length, unit: 'items' });
    switch (a.kind) {
      case 'remove-container':
        // anonymous volumes stay: they are the volumes phase's to plan and show
        return engineSkips(() => engine.removeContainer(a.target, { volumes: false }));
      case 'remove-image':
        return engineSkips(async () => {
          // untag one name at a time: removing an image by ID while several names point at it needs force,
          // and force would also remove an image a stopped container uses
          // the re-check just read it (images go one at a time, so nothing came between)
          const image = inspected.get(a.target) ?? await engine.inspectImage(a.target);
          const tags = image.repoTags.filter((t) => t !== '<none>:<none>');
          for (const tag of tags) await engine.removeImage(tag);
          // removing its last name may have removed the image itself
          if (!tags.length || await exists(() => engine.inspectImage(a.target))) await engine.removeImage(a.target);
        });
      case 'remove-build-cache':
        return engineSkips(async () => {
          const gone = await engine.removeBuildCache(a.target);
          // the engine reports a shared record's size as reclaimed, but its bytes stay with the image layer
          // that shares them (docker system df does not count them either): the plan's 0 stands
          return { bytes: sharedCache.has(a.target) ? 0 : gone.bytes };
        });
      case 'remove-volume':
        return engineSkips(() => engine.removeVolume(a.target));
      case 'remove-network':
        return engineSkips(() => engine.removeNetwork(a.target));
      default:
        throw new Error(`unknown action ${a.kind}`);
    }
  };

  return applyPlan(plan, {
    recheck, perform, signal: context.signal,
    // containers and volumes do not depend on one another: 8 round trips at a time (images and build cache
    // records can be parents of the next, so they go one by one). Ctrl-C lets those in flight finish.
    concurrent: { limit: 8, independent: (a) => a.kind === 'remove-container' || a.kind === 'remove-volume' },
    ...(options.journal ? { journal: options.journal } : {}),
    now: () => new Date(context.clock.now()),
  });
}
