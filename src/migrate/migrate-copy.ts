/**
 * `stowage migrate --from SRC --to DST`: every image (by ID, untagged ones too) with its tags, and the named
 * volumes, from one engine straight into another, with no directory between. One `docker load` per image
 * that carries only the layers the target does not have yet, so each layer crosses once; images with fewer
 * layers go first, so a shared base is there before the images built on it. When the source is an overlay2
 * engine whose data-root this host can read, each layer's tar is rebuilt from the layer store (tar-split
 * metadata + the layer's directory) as the engine itself would for `docker save`, without the temporary copy
 * save makes of every layer; otherwise the image comes through `docker save` of that image alone.
 * What the target has with the same ID (images), tag target or content digest (volumes) is skipped, so a
 * rerun after a crash finishes the job. Space is checked against the target's data-root before any write.
 */
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { readStoredLayerSize } from '../engine/image-store.js';
import { BadInputError, EngineRequestError, RefusedError } from '../errors.js';
import { spaceOf } from '../host/filesystem.js';
import { chainIds } from '../image/chain-ids.js';
import { applyPlan } from '../plan/apply-plan.js';
import { makePlan, type PlanAction, type PlanRefusal } from '../plan/plan.js';
import { formatBytes } from '../units.js';
import { fillVolume, leftoverHelpers, splitTag, tagTarget, targetState, volumeExists } from './migrate-import.js';
import type { MigrateCopyOptions, MigrateCopyResult, SpaceCheck } from './migrate-types.js';
import { notMigratedOn } from './not-migrated.js';
import { commitContainers } from './commit-containers.js';
import { localMountpoint } from './host-volume.js';
import { layerStoreArchive, readsLayerStore } from './layer-store-source.js';
import { imageName, type StoreImage } from './store-manifest.js';
import { createHelper, HelperImage, readVolumeArchive, volumeTreeOnEngine } from './volume-helper.js';
import type { VolumeTree } from './volume-tree.js';

interface SourceImage extends StoreImage {
  size: number;
}

/** Loads of one wave sent at once: the target engine unpacks each load's layers on one core, one after another. */
const LOADS_AT_ONCE = 4;

const engineOf = async (e: EngineClient) => {
  const info = await e.info();
  return { info, summary: { endpoint: e.endpoint.url, serverVersion: info.serverVersion, storageDriver: info.storageDriver } };
};

async function* counted(stream: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const c of stream) {
    onBytes(c.length);
    yield c;
  }
}

export async function migrateCopy(options: MigrateCopyOptions, context: CapabilityContext): Promise<MigrateCopyResult> {
  const started = context.clock.monotonic();
  const { source, target } = options;
  const [src, dst] = await Promise.all([engineOf(source), engineOf(target)]);
  if (src.info.name === dst.info.name && src.info.dockerRootDir === dst.info.dockerRootDir) {
    throw new BadInputError(`--from and --to are the same engine (${src.info.name}, data-root ${src.info.dockerRootDir})`, 'Give the engine to copy into with --to.');
  }
  const committed = options.containers && !options.dryRun ? await commitContainers(source) : [];
  context.progress.update({ step: 'listing the source\'s images and volumes' });
  const images: SourceImage[] = [];
  for (const entry of await source.listImages({ all: true })) {
    const d = await source.inspectImage(entry.id);
    images.push({ id: d.id, repoTags: [...entry.repoTags].sort(), repoDigests: [...(entry.repoDigests ?? [])].sort(), diffIds: d.layers, manifest: '', size: d.size });
  }
  const named = options.volumes === 'none' ? [] : (await source.listVolumes()).filter((v) => !v.anonymous);
  if (Array.isArray(options.volumes)) {
    const missing = options.volumes.filter((n) => !named.some((v) => v.name === n));
    if (missing.length) throw new BadInputError(`no named volume ${missing.join(', ')} in the source engine`, 'Check `docker volume ls`.');
  }
  const volumes = Array.isArray(options.volumes) ? named.filter((v) => (options.volumes as string[]).includes(v.name)) : named;
  const usage = await source.diskUsage();
  const dataRoot = src.info.dockerRootDir;
  const direct = await readsLayerStore(source, src.info);
  const via: MigrateCopyResult['via'] = direct ? 'layer-store' : 'save';

  context.progress.update({ step: 'reading what the target has' });
  const state = await targetState(target);
  const layerBytes = async (image: SourceImage, i: number): Promise<number> =>
    (direct ? await readStoredLayerSize(dataRoot, 'overlay2', chainIds(image.diffIds)[i]!) : undefined) ?? 0;

  // plan: images with fewer layers first, so that their layers are there when the images built on them load;
  // each load is in the wave after the loads that bring layers it builds on (an image on the target already: wave 0)
  const actions: PlanAction[] = [];
  const refusals: PlanRefusal[] = [];
  const ordered = [...images].sort((a, b) => a.diffIds.length - b.diffIds.length || a.id.localeCompare(b.id));
  const planned = new Set(state.chains);
  const sendOf = new Map<string, Set<number>>();
  const waveOf = new Map<string, number>();
  const broughtBy = new Map<string, string>();
  const loads: PlanAction[] = [];
  for (const image of ordered) {
    if (state.images.has(image.id)) {
      waveOf.set(image.id, 0);
      loads.push({ id: `load:${image.id}`, kind: 'load-image', target: image.id, bytes: 0, reason: `${imageName(image)} is already on the target` });
      continue;
    }
    const chains = chainIds(image.diffIds);
    const send = new Set(chains.flatMap((c, i) => (planned.has(c) ? [] : [i])));
    sendOf.set(image.id, send);
    let wave = 0;
    for (const c of chains) {
      const by = broughtBy.get(c);
      if (by !== undefined) wave = Math.max(wave, waveOf.get(by)! + 1);
    }
    waveOf.set(image.id, wave);
    let bytes = 0;
    if (direct) for (const i of send) bytes += await layerBytes(image, i);
    else bytes = image.size;
    for (const i of send) broughtBy.set(chains[i]!, image.id);
    chains.forEach((c) => planned.add(c));
    loads.push({ id: `load:${image.id}`, kind: 'load-image', target: image.id, bytes,
      reason: `${imageName(image)}: ${send.size} of ${image.diffIds.length} layers to send${image.repoTags.length ? `, tags ${image.repoTags.join(', ')}` : ', untagged'}` });
  }
  actions.push(...loads.map((a, i) => ({ a, i })).sort((x, y) => waveOf.get(x.a.target)! - waveOf.get(y.a.target)! || x.i - y.i).map((x) => x.a));
  for (const image of ordered) {
    for (const tag of image.repoTags) {
      const now = await tagTarget(target, tag);
      actions.push({ id: `tag:${tag}`, kind: 'tag-image', target: tag, bytes: 0,
        reason: now === image.id ? `already points at ${image.id.slice(0, 19)}` : now ? `moves from ${now.slice(0, 19)} to ${image.id.slice(0, 19)}` : `points at ${image.id.slice(0, 19)}` });
    }
  }
  const sourceHelper = new HelperImage(source);
  const targetHelper = new HelperImage(target);
  const trees = new Map<string, VolumeTree>();
  try {
    for (const v of volumes) {
      const tree = await volumeTreeOnEngine(source, sourceHelper, v.name);
      trees.set(v.name, tree);
      const bytes = Math.max(0, usage.volumes.find((u) => u.name === v.name)?.size ?? 0);
      const leftovers = await leftoverHelpers(target, v.name);
      if (await volumeExists(target, v.name) && !leftovers.length) {
        if ((await volumeTreeOnEngine(target, targetHelper, v.name)).digest !== tree.digest) {
          refusals.push({ kind: 'restore-volume', target: v.name, bytes, reason: 'protected',
            detail: 'a volume of this name exists on the target with other content; remove or rename it to copy this one' });
        } else {
          actions.push({ id: `volume:${v.name}`, kind: 'restore-volume', target: v.name, bytes: 0, reason: 'already on the target with the same content' });
        }
        continue;
      }
      actions.push({ id: `volume:${v.name}`, kind: 'restore-volume', target: v.name, bytes,
        reason: leftovers.length ? 'an earlier run stopped while filling it: filled again from the start' : `${tree.records.size} entries` });
    }

    const plan = makePlan('migrate --from --to', actions, refusals);
    const neededBytes = actions.reduce((n, a) => n + a.bytes, 0);
    let space: SpaceCheck | { path: string | undefined; unavailable: string };
    if (target.endpoint.transport.kind !== 'unix') space = { path: undefined, unavailable: `the target is remote (${target.endpoint.url}): its free space is not measured here` };
    else {
      try {
        space = { path: dst.info.dockerRootDir, neededBytes, availableBytes: (await spaceOf(dst.info.dockerRootDir)).availableBytes };
      } catch (err) {
        space = { path: dst.info.dockerRootDir, unavailable: `cannot statfs ${dst.info.dockerRootDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
      }
    }
    // a volume keeps its xattrs and holes only when its directory is on this host at both ends (the target's is checked once made)
    const remote: string[] = [];
    for (const v of volumes) if (!(await localMountpoint(source, v.name)) || target.endpoint.transport.kind !== 'unix') remote.push(v.name);
    const notMigrated = await notMigratedOn(source, usage, images, volumes.length, remote, Boolean(options.containers));
    const base = { schemaVersion: 1 as const, action: 'copy' as const, source: src.summary, target: dst.summary, via, plan, space, notMigrated, ...(options.containers ? { committed } : {}) };
    if (options.dryRun) return { ...base, dryRun: true, sentBytes: 0, elapsedMs: Math.round(context.clock.monotonic() - started) };
    if ('neededBytes' in space && space.neededBytes > space.availableBytes) {
      throw new RefusedError(`the target's data-root ${space.path} has ${formatBytes(space.availableBytes)} free, the copy needs about ${formatBytes(space.neededBytes)}; nothing was written`,
        'Free space on the target (`stowage prune`), or copy fewer volumes (`--no-volumes`, `--volume NAME`).');
    }

    let sentBytes = 0;
    const progressBytes = (n: number) => {
      sentBytes += n;
      context.progress.update({ step: 'copying', done: sentBytes, total: Math.max(neededBytes, sentBytes), unit: 'bytes' });
    };
    const byId = new Map(images.map((i) => [i.id, i]));
    const applied = await applyPlan(plan, {
      signal: context.signal,
      // straight from the layer store, the loads of one wave send disjoint layers: the target unpacks LOADS_AT_ONCE
      // at a time (one load unpacks its layers one after another, on one core); through `docker save` each archive
      // holds the whole image, so loads go one by one
      concurrent: { limit: LOADS_AT_ONCE, independent: (a) => direct && a.kind === 'load-image', group: (a) => `${a.kind} ${waveOf.get(a.target) ?? ''}` },
      recheck: async (action) => {
        if (action.kind === 'load-image') return (await tagTarget(target, action.target)) ? 'already on the target' : undefined;
        if (action.kind === 'tag-image') {
          const image = ordered.find((i) => i.repoTags.includes(action.target))!;
          return (await tagTarget(target, action.target)) === image.id ? `already points at ${image.id.slice(0, 19)}` : undefined;
        }
        return undefined;
      },
      perform: async (action) => {
        if (action.kind === 'load-image') {
          const image = byId.get(action.target)!;
          // this load's bytes (others of its wave may be counting at the same time)
          let sent = 0;
          const progressOwn = (n: number) => { sent += n; progressBytes(n); };
          if (direct) {
            // the layers the target has now (an earlier image of this run may have brought some)
            const chains = chainIds(image.diffIds);
            const send = new Set([...(sendOf.get(image.id) ?? [])].filter((i) => !state.chains.has(chains[i]!)));
            await target.loadImage(layerStoreArchive(dataRoot, image, send, progressOwn));
          } else {
            const stream = await source.saveImage(image.id);
            try {
              await target.loadImage(counted(stream, progressOwn));
            } finally {
              (stream as { destroy?: () => void }).destroy?.();
            }
          }
          if (!(await tagTarget(target, image.id))) throw new EngineRequestError(500, `the target loaded ${imageName(image)} but does not list it`);
          for (const c of chainIds(image.diffIds)) state.chains.add(c);
          return { bytes: sent };
        }
        if (action.kind === 'tag-image') {
          const image = ordered.find((i) => i.repoTags.includes(action.target))!;
          const { repo, tag } = splitTag(action.target);
          await target.tagImage(image.id, repo, tag);
          return undefined;
        }
        const v = volumes.find((x) => x.name === action.target)!;
        const detail = await source.inspectVolume(v.name);
        const tree = trees.get(v.name)!;
        const helper = await createHelper(source, sourceHelper, { name: v.name }, 'read');
        const before = sentBytes;
        try {
          const stream = await readVolumeArchive(source, helper, v.name);
          try {
            await fillVolume(target, targetHelper, { name: v.name, driver: detail.driver, labels: detail.labels, options: detail.options, contentDigest: tree.digest },
              counted(stream, progressBytes), `volume ${v.name} on the source`, async () => tree);
          } finally {
            (stream as { destroy?: () => void }).destroy?.();
          }
        } finally {
          await source.removeContainer(helper, { force: true, volumes: false });
        }
        return { bytes: sentBytes - before };
      },
    });
    return { ...base, dryRun: false, applied, sentBytes, elapsedMs: Math.round(context.clock.monotonic() - started) };
  } finally {
    await sourceHelper.release();
    await targetHelper.release();
    context.progress.end();
  }
}

