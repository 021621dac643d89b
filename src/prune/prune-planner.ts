/**
 * The prune plan, computed from an inventory without touching the engine: per phase, what goes (with the
 * bytes it frees) and what stays (with why). The plan is made on the end state: a stopped container that
 * goes no longer holds its image, volumes or networks for the later phases, and the reasons say so.
 */
import { splitTag } from '../image/image-reference.js';
import { makePlan, type Plan, type PlanAction, type PlanRefusal } from '../plan/plan.js';
import { formatBytes } from '../units.js';
import { freedBytes } from './image-layers.js';
import type { InventoryContainer, InventoryImage, PruneInventory } from './inventory.js';
import {
  DEFAULT_BUILD_CACHE_UNTIL_MS, globMatches, labelRuleText, matchingLabel, PRUNE_PHASES, type PruneOptions, type PrunePhase, type PruneProtections,
} from './prune-options.js';

export interface PhaseState {
  name: PrunePhase;
  enabled: boolean;
  /** Why it is off, and the flag that turns it on. */
  off?: string;
}

export interface PrunePlanning {
  phases: PhaseState[];
  plan: Plan;
  /** How the image bytes were found: `layers` when every image's layers were sized, else `engine` for some. */
  imageBytes: 'layers' | 'engine' | 'none';
  buildCacheUntilMs: number;
  /**
   * Of the image bytes planned, how many the build cache may keep on disk: BuildKit's records that stay and
   * share their snapshot with an image layer (`Shared`) keep that layer's bytes after the image goes (the
   * engine then counts them as build cache). An upper bound: the API does not say which layer a record shares.
   */
  imageBytesHeldByCache: number;
  /** With a space target: the data-root's figures and the bytes the plan had to free to reach it. */
  spaceTarget?: { flag: string; path: string; totalBytes: number; freeBytes: number; needBytes: number };
}

/** `3 days`, `5 h`, `12 min`: how long ago, roughly. */
export function ago(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function hours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

export function phaseStates(options: PruneOptions): PhaseState[] {
  const skip = new Set(options.skip ?? []);
  const images = options.images ?? 'dangling';
  const volumes = options.volumes ?? 'none';
  const off: Record<PrunePhase, string | undefined> = {
    'containers': undefined,
    'dangling-images': images === 'none' ? 'off with --images none' : undefined,
    'build-cache': undefined,
    'unused-images': images === 'unused' ? undefined : 'off: --images unused turns it on',
    'volumes': volumes === 'none' ? 'off: --volumes anonymous|all turns it on' : undefined,
    'networks': options.networks ? undefined : 'off: --networks turns it on',
  };
  return PRUNE_PHASES.map((name) => {
    const why = skip.has(name) ? 'skipped with --skip' : off[name];
    return why === undefined ? { name, enabled: true } : { name, enabled: false, off: why };
  });
}

export function protectionsOf(options: PruneOptions): PruneProtections {
  return {
    labels: options.protect?.labels ?? [],
    images: options.protect?.images ?? [],
    volumes: options.protect?.volumes ?? [],
    ...(options.protect?.keepRecent !== undefined ? { keepRecent: options.protect.keepRecent } : {}),
    ...(options.protect?.keepSinceMs !== undefined ? { keepSinceMs: options.protect.keepSinceMs } : {}),
  };
}

const containerWord = (c: InventoryContainer) => `container ${c.name} (${c.active ? c.state : c.state === 'created' ? 'created, never started' : c.state})`;

export function planPrune(inventory: PruneInventory, options: PruneOptions): PrunePlanning {
  const phases = phaseStates(options);
  const on = new Set(phases.filter((p) => p.enabled).map((p) => p.name));
  const protect = protectionsOf(options);
  const now = inventory.takenAt;
  const untilMs = options.buildCacheUntilMs ?? DEFAULT_BUILD_CACHE_UNTIL_MS;
  const actions: PlanAction[] = [];
  const refusals: PlanRefusal[] = [];
  const youngerThanKeepSince = (createdMs: number | undefined) =>
    protect.keepSinceMs !== undefined && createdMs !== undefined && now - createdMs < protect.keepSinceMs;
  const keepSinceText = () => `younger than --keep-since ${hours(protect.keepSinceMs!)}`;

  // 1. containers: stopped ones go; whatever stays holds its image, volumes and networks
  const goingContainers = new Set<string>();
  const containerPhase = on.has('containers');
  for (const c of inventory.containers) {
    const group = 'containers';
    const refuse = (reason: PlanRefusal['reason'], detail: string) => {
      if (containerPhase) refusals.push({ group, kind: 'container', target: c.name, bytes: c.sizeRw, reason, detail });
    };
    if (c.active) { refuse('in-use', c.state); continue; }
    const label = matchingLabel(c.labels, protect.labels);
    if (label) { refuse('protected', `label ${labelRuleText(label)}`); continue; }
    if (youngerThanKeepSince(c.created * 1000)) { refuse('protected', `created ${ago(now - c.created * 1000)} ago, ${keepSinceText()}`); continue; }
    if (!containerPhase) continue;
    goingContainers.add(c.id);
    actions.push({ group, id: `container:${c.id}`, kind: 'remove-container', target: c.id, bytes: c.sizeRw,
      reason: `${c.name}: ${c.state === 'created' ? 'created, never started' : c.state}, created ${ago(now - c.created * 1000)} ago` });
  }
  const kept = inventory.containers.filter((c) => !goingContainers.has(c.id));
  const going = inventory.containers.filter((c) => goingContainers.has(c.id));
  // containers by image, in inventory order: an image is looked up for each image, not each pair
  const byImage = (list: readonly InventoryContainer[]) => {
    const out = new Map<string, InventoryContainer[]>();
    for (const c of list) {
      const same = out.get(c.imageId);
      if (same) same.push(c);
      else out.set(c.imageId, [c]);
    }
    return (id: string) => out.get(id) ?? [];
  };
  const [keptOf, goingOf, allOf] = [byImage(kept), byImage(going), byImage(inventory.containers)];

  // 2. and 4. images: dangling, then (with --images unused) every image no kept container uses
  const recent = recentTags(inventory.images, protect.keepRecent);
  const imageActions: { image: InventoryImage; action: PlanAction }[] = [];
  for (const image of inventory.images) {
    const group: PrunePhase = image.dangling ? 'dangling-images' : 'unused-images';
    const phaseOn = on.has(group);
    const name = image.dangling ? image.id.slice(7, 19) : image.repoTags.join(', ');
    const refuse = (reason: PlanRefusal['reason'], detail: string) => {
      if (phaseOn) refusals.push({ group, kind: 'image', target: `${name}${image.dangling ? '' : ` (${image.id.slice(7, 19)})`}`, bytes: image.size, reason, detail });
    };
    const users = keptOf(image.id);
    if (users.length) { refuse('in-use', `used by ${users.map(containerWord).join(', ')}`); continue; }
    const label = matchingLabel(image.labels, protect.labels);
    if (label) { refuse('protected', `label ${labelRuleText(label)}`); continue; }
    const glob = protect.images.find((g) => image.repoTags.some((t) => globMatches(g, t)));
    if (glob) { refuse('protected', `matches --keep-image ${glob}`); continue; }
    const recentTag = image.repoTags.find((t) => recent.has(t));
    if (recentTag) { refuse('protected', `${recentTag} is among the ${protect.keepRecent} newest tags of ${splitTag(recentTag).repo} (--keep-recent)`); continue; }
    const lastUse = lastUsedMs(image, allOf(image.id));
    if (youngerThanKeepSince(lastUse.ms)) { refuse('protected', `${lastUse.what} ${ago(now - lastUse.ms)} ago, ${keepSinceText()}`); continue; }
    if (!phaseOn) continue;
    const freedBy = goingOf(image.id);
    const because = image.dangling ? 'dangling' : 'no container uses it';
    const freed = freedBy.length ? `; its container${freedBy.length === 1 ? '' : 's'} ${freedBy.map((c) => c.name).join(', ')} go${freedBy.length === 1 ? 'es' : ''} in phase containers` : '';
    imageActions.push({ image, action: { group, id: `image:${image.id}`, kind: 'remove-image', target: image.id, bytes: 0,
      reason: `${image.dangling ? '' : `${name}: `}${because}, created ${ago(now - image.created * 1000)} ago${freed}` } });
  }

  // 3. build cache: what no build uses and was last used before the cut-off; a record goes only after those built on it
  const cachePhase = on.has('build-cache');
  const keptCache = new Map<string, string>();
  for (const r of inventory.buildCache) {
    if (r.inUse) keptCache.set(r.id, 'in use by a build');
    else {
      const last = Date.parse(r.lastUsedAt ?? r.createdAt ?? '');
      if (Number.isFinite(last) && now - last < untilMs) keptCache.set(r.id, `last used ${ago(now - last)} ago, within --build-cache-until ${hours(untilMs)}`);
    }
  }
  // a budget: of the records that could go, the least recently used go first, only until the cache fits
  const budget = options.buildCacheKeepBytes;
  if (budget !== undefined) {
    const own = (r: PruneInventory['buildCache'][number]) => (r.shared ? 0 : r.size);
    let total = inventory.buildCache.reduce((n, r) => n + own(r), 0);
    const lastUse = (r: PruneInventory['buildCache'][number]) => Date.parse(r.lastUsedAt ?? r.createdAt ?? '') || 0;
    const candidates = inventory.buildCache.filter((r) => !keptCache.has(r.id)).sort((a, b) => lastUse(a) - lastUse(b) || a.id.localeCompare(b.id));
    for (const r of candidates) {
      if (total <= budget) keptCache.set(r.id, `the cache fits --keep-storage ${formatBytes(budget)} (${formatBytes(total)}) once less recently used records go`);
      else total -= own(r);
    }
  }
  // a record that a kept one is built on stays too
  for (let changed = true; changed;) {
    changed = false;
    for (const r of inventory.buildCache) {
      if (!keptCache.has(r.id)) continue;
      for (const p of r.parents ?? []) {
        if (!keptCache.has(p)) { keptCache.set(p, `a kept record (${r.id.slice(0, 12)}) is built on it`); changed = true; }
      }
    }
  }
  if (cachePhase) {
    const cacheBytes = (r: PruneInventory['buildCache'][number]) => (r.shared ? 0 : r.size);
    const byNewest = [...inventory.buildCache].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    for (const r of byNewest) {
      const why = keptCache.get(r.id);
      const what = `${r.type}${r.description ? ` ${r.description.slice(0, 60)}` : ''}`;
      if (why) {
        refusals.push({ group: 'build-cache', kind: 'build-cache', target: r.id, bytes: cacheBytes(r), reason: r.inUse ? 'in-use' : 'protected',
          detail: `${what}: ${why}${r.shared ? ` (shares ${formatBytes(r.size)} with an image layer)` : ''}` });
      }
      else {
        const last = Date.parse(r.lastUsedAt ?? r.createdAt ?? '');
        actions.push({ group: 'build-cache', id: `build-cache:${r.id}`, kind: 'remove-build-cache', target: r.id, bytes: cacheBytes(r),
          reason: `${what}: last used ${Number.isFinite(last) ? `${ago(now - last)} ago` : 'at an unknown time'}${r.shared ? ' (shared with an image: frees nothing alone)' : ''}` });
      }
    }
  }

  // a space target: images least recently used first, only until the data-root reaches it
  let chosen = imageActions;
  const target = spaceTarget(inventory, options);
  if (target) {
    const earlier = actions.reduce((n, a) => n + a.bytes, 0);
    const lru = [...imageActions].map((a) => ({ ...a, used: lastUsedMs(a.image, allOf(a.image.id)) })).sort((x, y) => x.used.ms - y.used.ms);
    const freedBy = (n: number) => {
      const ids = new Set(lru.slice(0, n).map((a) => a.image.id));
      return freedBytes(lru.slice(0, n).map((a) => a.image), inventory.images.filter((i) => !ids.has(i.id))).reduce((t, b) => t + b.bytes, 0);
    };
    let k = 0;
    while (k < lru.length && earlier + freedBy(k) < target.needBytes) k++;
    const picked = lru.slice(0, k);
    chosen = picked;
    for (const a of picked) a.action.reason += `; least recently used (${a.used.what} ${ago(now - a.used.ms)} ago) first for ${target.flag}`;
    for (const a of lru.slice(k)) {
      refusals.push({ group: a.action.group!, kind: 'image', target: a.image.dangling ? a.image.id.slice(7, 19) : `${a.image.repoTags.join(', ')} (${a.image.id.slice(7, 19)})`,
        bytes: a.image.size, reason: 'protected', detail: `${target.flag} is reached without it (${a.used.what} ${ago(now - a.used.ms)} ago)` });
    }
  }
  const chosenIds = new Set(chosen.map((a) => a.image.id));
  const bytes = freedBytes(chosen.map((a) => a.image), inventory.images.filter((i) => !chosenIds.has(i.id)));
  chosen.forEach(({ action }, i) => {
    const b = bytes[i]!;
    action.bytes = b.bytes;
    if (b.sharedWithKept > 0) action.reason += `; ${formatBytes(b.sharedWithKept)} in layers kept images use is not counted`;
  });
  const imageBytes = !bytes.length ? 'none' : bytes.every((b) => b.method === 'layers') ? 'layers' : 'engine';

  // images after the build cache, as the script of DESIGN.md case 4 ordered its phases
  for (const { action } of chosen.filter((a) => a.action.group === 'dangling-images')) actions.push(action);
  for (const { action } of chosen.filter((a) => a.action.group === 'unused-images')) actions.push(action);

  // 5. volumes: unused by every kept container; named ones only with --volumes all
  if (on.has('volumes')) {
    const all = (options.volumes ?? 'none') === 'all';
    for (const v of inventory.volumes) {
      const bytesOf = Math.max(0, v.size);
      const refuse = (reason: PlanRefusal['reason'], detail: string) =>
        refusals.push({ group: 'volumes', kind: 'volume', target: v.name, bytes: bytesOf, reason, detail });
      const users = kept.filter((c) => c.volumes.includes(v.name));
      if (users.length) { refuse('in-use', `mounted by ${users.map(containerWord).join(', ')}`); continue; }
      const label = matchingLabel(v.labels, protect.labels);
      if (label) { refuse('protected', `label ${labelRuleText(label)}`); continue; }
      const glob = protect.volumes.find((g) => globMatches(g, v.name));
      if (glob) { refuse('protected', `kept by name (${glob})`); continue; }
      if (!v.anonymous && !all) { refuse('protected', 'named volume (--volumes all removes named volumes)'); continue; }
      if (youngerThanKeepSince(v.created)) { refuse('protected', `created ${ago(now - v.created!)} ago, ${keepSinceText()}`); continue; }
      const freedBy = going.filter((c) => c.volumes.includes(v.name));
      actions.push({ group: 'volumes', id: `volume:${v.name}`, kind: 'remove-volume', target: v.name, bytes: bytesOf,
        reason: `${v.anonymous ? 'anonymous' : 'named'}, no container mounts it${v.size < 0 ? ' (size not measured by its driver)' : ''}`
          + (freedBy.length ? `; ${freedBy.map((c) => c.name).join(', ')} go${freedBy.length === 1 ? 'es' : ''} in phase containers` : '') });
    }
  }

  // 6. networks: custom local networks no kept container is attached to
  if (on.has('networks')) {
    for (const n of inventory.networks) {
      if (n.predefined || n.scope === 'swarm') continue;
      const refuse = (reason: PlanRefusal['reason'], detail: string) =>
        refusals.push({ group: 'networks', kind: 'network', target: n.name, bytes: 0, reason, detail });
      const users = kept.filter((c) => c.networks.includes(n.name));
      if (users.length) { refuse('in-use', `attached to ${users.map(containerWord).join(', ')}`); continue; }
      const label = matchingLabel(n.labels, protect.labels);
      if (label) { refuse('protected', `label ${labelRuleText(label)}`); continue; }
      if (youngerThanKeepSince(n.created)) { refuse('protected', `created ${ago(now - n.created!)} ago, ${keepSinceText()}`); continue; }
      actions.push({ group: 'networks', id: `network:${n.id}`, kind: 'remove-network', target: n.id, bytes: 0, reason: `${n.name}: no container is attached to it` });
    }
  }

  const keptShared = inventory.buildCache.filter((r) => r.shared && (!cachePhase || keptCache.has(r.id))).reduce((n, r) => n + r.size, 0);
  const plannedImageBytes = chosen.reduce((n, a) => n + a.action.bytes, 0);
  const imageBytesHeldByCache = Math.min(plannedImageBytes, keptShared);

  const order = (g: string | undefined) => PRUNE_PHASES.indexOf(g as PrunePhase);
  actions.sort((a, b) => order(a.group) - order(b.group));
  refusals.sort((a, b) => order(a.group) - order(b.group));
  return {
    phases, plan: makePlan('prune', actions, refusals), imageBytes, buildCacheUntilMs: untilMs, imageBytesHeldByCache,
    ...(target ? { spaceTarget: target } : {}),
  };
}

/** The `repo:tag`s that are among the N newest (by the image's creation) of their repository. */
function recentTags(images: readonly InventoryImage[], keep: number | undefined): Set<string> {
  const out = new Set<string>();
  if (keep === undefined) return out;
  const byRepo = new Map<string, { tag: string; created: number }[]>();
  for (const i of images) {
    for (const tag of i.repoTags) {
      const repo = splitTag(tag).repo;
      byRepo.set(repo, [...(byRepo.get(repo) ?? []), { tag, created: Math.max(i.created * 1000, i.lastTagged ?? 0) }]);
    }
  }
  for (const tags of byRepo.values()) {
    tags.sort((a, b) => b.created - a.created || a.tag.localeCompare(b.tag));
    for (const t of tags.slice(0, keep)) out.add(t.tag);
  }
  return out;
}

/**
 * When an image was last used, as far as the engine tells: the newest of its creation, its last tagging, the
 * creation, last start and last stop of the containers made from it, and (when read) the latest container
 * event naming it in the engine's buffer. The engine keeps no last-run time for images itself.
 */
export function lastUsedMs(image: InventoryImage, containers: readonly InventoryContainer[]): { ms: number; what: string } {
  let best = { ms: image.created * 1000, what: 'created' };
  if (image.lastTagged !== undefined && image.lastTagged > best.ms) best = { ms: image.lastTagged, what: 'last tagged' };
  for (const c of containers) {
    if (c.imageId !== image.id) continue;
    if (c.created * 1000 > best.ms) best = { ms: c.created * 1000, what: `container ${c.name} created` };
    // a container that exits at once can be stamped started a few ms after it finished, or in the same ms:
    // for a stopped container its stop is its last use, whatever order the engine stamped them in
    const startNotBeforeStop = !c.active && c.startedAt !== undefined && c.finishedAt !== undefined && c.finishedAt > 0 && c.startedAt >= c.finishedAt;
    if (c.startedAt !== undefined && !startNotBeforeStop && c.startedAt > best.ms) best = { ms: c.startedAt, what: `container ${c.name} started` };
    if (c.finishedAt !== undefined && c.finishedAt > best.ms) best = { ms: c.finishedAt, what: `container ${c.name} stopped` };
  }
  if (image.lastEvent && image.lastEvent.ms > best.ms) best = image.lastEvent;
  return best;
}

/** What a space target asks for: the bytes to free so that the data-root has `untilFree` free or `untilUsed` used at most. */
function spaceTarget(inventory: PruneInventory, options: PruneOptions): PrunePlanning['spaceTarget'] {
  const space = inventory.space;
  if (!space || (options.untilFree === undefined && options.untilUsed === undefined)) return undefined;
  const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
  const wantFree = options.untilFree !== undefined ? options.untilFree * space.totalBytes : (1 - options.untilUsed!) * space.totalBytes;
  const flag = options.untilFree !== undefined ? `--until-free ${pct(options.untilFree)}` : `--until-used ${pct(options.untilUsed!)}`;
  return { flag, path: space.path, totalBytes: space.totalBytes, freeBytes: space.freeBytes, needBytes: Math.max(0, Math.ceil(wantFree - space.freeBytes)) };
}
