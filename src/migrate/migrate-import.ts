/**
 * `stowage migrate import DIR`: loads the store's images (one `docker load` each, sending only the layers the
 * target lacks), points their tags, and recreates the volumes with their contents. What the target already
 * has with the same digest is skipped, so a rerun after a crash or kill -9 finishes the job: an image appears
 * only when its load is complete, and a volume is filled through a helper that stays until the fill is
 * checked, so a helper left by a killed run marks its volume as unfinished and the rerun fills it again.
 */
import { createReadStream } from 'node:fs';
import type { CapabilityContext } from '../context.js';
import type { EngineClient } from '../engine/engine-client.js';
import { EngineRequestError, RefusedError } from '../errors.js';
import { spaceOf } from '../host/filesystem.js';
import { applyPlan, SkipAction } from '../plan/apply-plan.js';
import { makePlan, type PlanAction, type PlanRefusal } from '../plan/plan.js';
import { formatBytes } from '../units.js';
import { chainIds } from '../image/chain-ids.js';
import { loadArchive } from './load-archive.js';
import type { MigrateImportOptions, MigrateImportResult, SpaceCheck } from './migrate-types.js';
import { checkBlobs } from './store-check.js';
import { blobPath, imageName, readStoreManifest, type StoreImage, type StoreManifest, type StoreVolume } from './store-manifest.js';
import { VerificationFailedError } from './verification-error.js';
import { createHelper, HelperImage, MOUNT, readVolumeArchive, RESTORING_LABEL, volumeTreeOnEngine, type VolumeSpec } from './volume-helper.js';
import { treeDifferences, volumeTree, type VolumeTree } from './volume-tree.js';
import { underMount } from './restore-archive.js';
import { localMountpoint, restoreHoles, SPARSE_MIN_BYTES, type ZeroRuns } from './host-volume.js';

const notFound = (err: unknown) => err instanceof EngineRequestError && err.statusCode === 404;

/** `repo:tag` split at the last colon after the last slash (a registry port is not a tag). */
export function splitTag(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

export interface TargetState {
  images: Set<string>;
  chains: Set<string>;
}

export async function targetState(engine: EngineClient): Promise<TargetState> {
  const images = new Set<string>();
  const chains = new Set<string>();
  for (const i of await engine.listImages({ all: true })) {
    images.add(i.id);
    for (const c of chainIds((await engine.inspectImage(i.id)).layers)) chains.add(c);
  }
  return { images, chains };
}

export async function tagTarget(engine: EngineClient, tag: string): Promise<string | undefined> {
  try {
    return (await engine.inspectImage(tag)).id;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/** Helpers a killed import left on volume `name`. */
export async function leftoverHelpers(engine: EngineClient, name: string): Promise<string[]> {
  return (await engine.listContainers({ all: true, labels: { [RESTORING_LABEL]: name } })).map((c) => c.id);
}

export async function volumeExists(engine: EngineClient, name: string): Promise<boolean> {
  try {
    await engine.inspectVolume(name);
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}

function sizeOf(manifest: StoreManifest): Map<string, number> {
  return new Map(manifest.blobs.map((b) => [b.digest, b.size]));
}

/** The bytes a load of `image` sends: its config and the layers whose chain the target lacks. */
function sendBytes(image: StoreImage, chains: Set<string>, sizes: Map<string, number>): number {
  const c = chainIds(image.diffIds);
  const layers = new Set(image.diffIds.filter((_, i) => !chains.has(c[i]!)));
  return (sizes.get(image.id) ?? 0) + [...layers].reduce((n, d) => n + (sizes.get(d) ?? 0), 0);
}

export async function migrateImport(options: MigrateImportOptions, context: CapabilityContext): Promise<MigrateImportResult> {
  const started = context.clock.monotonic();
  const dir = options.dir;
  const manifest = await readStoreManifest(dir);
  const engine = await context.engine();
  const info = await engine.info();
  const target = { endpoint: engine.endpoint.url, serverVersion: info.serverVersion, storageDriver: info.storageDriver };
  context.progress.update({ step: 'reading what the target has' });
  const state = await targetState(engine);
  const sizes = sizeOf(manifest);
  const byId = new Map(manifest.images.map((i) => [i.id, i]));
  const volumesByName = new Map(manifest.volumes.map((v) => [v.name, v]));
  const helperImage = new HelperImage(engine);

  // plan: images with fewer layers first, so that their layers are there when the images built on them load
  const actions: PlanAction[] = [];
  const refusals: PlanRefusal[] = [];
  const ordered = [...manifest.images].sort((a, b) => a.diffIds.length - b.diffIds.length || a.id.localeCompare(b.id));
  const planned = new Set(state.chains);
  for (const image of ordered) {
    if (state.images.has(image.id)) {
      actions.push({ id: `load:${image.id}`, kind: 'load-image', target: image.id, bytes: 0, reason: `${imageName(image)} is already on the target` });
      continue;
    }
    const bytes = sendBytes(image, planned, sizes);
    const sent = chainIds(image.diffIds).filter((c) => !planned.has(c)).length;
    for (const c of chainIds(image.diffIds)) planned.add(c);
    actions.push({ id: `load:${image.id}`, kind: 'load-image', target: image.id, bytes,
      reason: `${imageName(image)}: ${sent} of ${image.diffIds.length} layers to send${image.repoTags.length ? `, tags ${image.repoTags.join(', ')}` : ', untagged'}` });
  }
  for (const image of ordered) {
    for (const tag of image.repoTags) {
      const now = await tagTarget(engine, tag);
      actions.push({ id: `tag:${tag}`, kind: 'tag-image', target: tag, bytes: 0,
        reason: now === image.id ? `already points at ${image.id.slice(0, 19)}` : now ? `moves from ${now.slice(0, 19)} to ${image.id.slice(0, 19)}` : `points at ${image.id.slice(0, 19)}` });
    }
  }
  if (options.volumes !== false) {
    for (const v of manifest.volumes) {
      const leftovers = await leftoverHelpers(engine, v.name);
      const exists = await volumeExists(engine, v.name);
      if (exists && !leftovers.length) {
        const tree = await volumeDigestOnEngine(engine, helperImage, v.name);
        if (tree !== v.contentDigest) {
          refusals.push({ kind: 'restore-volume', target: v.name, bytes: sizes.get(v.blob) ?? 0, reason: 'protected',
            detail: 'a volume of this name exists on the target with other content; remove or rename it to import this one' });
          continue;
        }
        actions.push({ id: `volume:${v.name}`, kind: 'restore-volume', target: v.name, bytes: 0, reason: 'already on the target with the same content' });
        continue;
      }
      actions.push({ id: `volume:${v.name}`, kind: 'restore-volume', target: v.name, bytes: sizes.get(v.blob) ?? 0,
        reason: leftovers.length ? 'an earlier import stopped while filling it: filled again from the start' : `${v.entries} entries` });
    }
  }
  const plan = makePlan('migrate import', actions, refusals);
  const sentPlanned = actions.reduce((n, a) => n + a.bytes, 0);
  let space: SpaceCheck | { path: string | undefined; unavailable: string };
  if (engine.endpoint.transport.kind !== 'unix') space = { path: undefined, unavailable: `the engine is remote (${engine.endpoint.url}): its free space is not measured here` };
  else {
    try {
      space = { path: info.dockerRootDir, neededBytes: sentPlanned, availableBytes: (await spaceOf(info.dockerRootDir)).availableBytes };
    } catch (err) {
      space = { path: info.dockerRootDir, unavailable: `cannot statfs ${info.dockerRootDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  }
  const base = { schemaVersion: 1 as const, action: 'import' as const, dir, target, plan, space, notMigrated: manifest.notMigrated };
  if (options.dryRun) {
    await helperImage.release();
    context.progress.end();
    return { ...base, dryRun: true, sentBytes: 0, elapsedMs: Math.round(context.clock.monotonic() - started) };
  }
  if ('neededBytes' in space && space.neededBytes > space.availableBytes) {
    throw new RefusedError(`the target's data-root ${space.path} has ${formatBytes(space.availableBytes)} free, the import needs about ${formatBytes(space.neededBytes)}; nothing was loaded`,
      'Free space on the target (`stowage prune`), or import fewer volumes (`--no-volumes`).');
  }

  // every blob the apply may read is hashed first: a corrupt store loads nothing
  const needed = new Set<string>();
  for (const a of actions) {
    if (a.bytes === 0) continue;
    if (a.kind === 'load-image') { const i = byId.get(a.target)!; needed.add(i.id); i.diffIds.forEach((d) => needed.add(d)); }
    if (a.kind === 'restore-volume') needed.add(volumesByName.get(a.target)!.blob);
  }
  const neededBytes = [...needed].reduce((n, d) => n + (sizes.get(d) ?? 0), 0);
  let hashed = 0;
  const check = await checkBlobs(dir, manifest, needed, (n) => {
    hashed += n;
    context.progress.update({ step: 'checking the store\'s blobs', done: hashed, total: neededBytes, unit: 'bytes' });
  });
  if (check.differences.length) {
    const first = check.differences[0]!;
    throw new VerificationFailedError(`${first.detail}${check.differences.length > 1 ? ` (and ${check.differences.length - 1} more bad blob${check.differences.length > 2 ? 's' : ''})` : ''}; nothing was imported`,
      'Export again from the source, or run `stowage migrate verify DIR` to list every bad blob.');
  }

  let sentBytes = 0;
  const total = sentPlanned;
  const progressBytes = (n: number) => {
    sentBytes += n;
    context.progress.update({ step: 'importing', done: sentBytes, total: Math.max(total, sentBytes), unit: 'bytes' });
  };
  try {
    const applied = await applyPlan(plan, {
      signal: context.signal,
      recheck: async (action) => {
        if (action.kind === 'load-image') return (await tagTarget(engine, action.target)) ? 'already on the target' : undefined;
        if (action.kind === 'tag-image') {
          const image = ordered.find((i) => i.repoTags.includes(action.target))!;
          return (await tagTarget(engine, action.target)) === image.id ? `already points at ${image.id.slice(0, 19)}` : undefined;
        }
        if (action.kind === 'restore-volume') {
          const v = volumesByName.get(action.target)!;
          if ((await leftoverHelpers(engine, v.name)).length || !(await volumeExists(engine, v.name))) return undefined;
          return (await volumeDigestOnEngine(engine, helperImage, v.name)) === v.contentDigest ? 'already on the target with the same content' : 'a volume of this name appeared on the target with other content';
        }
        return undefined;
      },
      perform: async (action) => {
        if (action.kind === 'load-image') {
          const image = byId.get(action.target)!;
          const chains = chainIds(image.diffIds);
          const have = new Set<string>();
          for (const c of chains) if (state.chains.has(c)) have.add(c);
          const archive = loadArchive(dir, image, (i) => !have.has(chains[i]!), progressBytes);
          await engine.loadImage(archive);
          if (!(await tagTarget(engine, image.id))) throw new EngineRequestError(500, `the engine loaded ${imageName(image)} but does not list it`);
          for (const c of chains) state.chains.add(c);
          return { bytes: sendBytes(image, have, sizes) };
        }
        if (action.kind === 'tag-image') {
          const image = ordered.find((i) => i.repoTags.includes(action.target))!;
          const { repo, tag } = splitTag(action.target);
          await engine.tagImage(image.id, repo, tag);
          return undefined;
        }
        const v = volumesByName.get(action.target)!;
        await restoreVolume(engine, helperImage, dir, v, progressBytes);
        return { bytes: sizes.get(v.blob) ?? 0 };
      },
    });
    return { ...base, dryRun: false, applied, sentBytes, elapsedMs: Math.round(context.clock.monotonic() - started) };
  } finally {
    await helperImage.release();
    context.progress.end();
  }
}

/** The volume's tree digest on the target. */
export async function volumeDigestOnEngine(engine: EngineClient, image: HelperImage, name: string): Promise<string> {
  return (await volumeTreeOnEngine(engine, image, name)).digest;
}

/**
 * Fills a volume through a helper that carries the restoring label until the fill is checked; one left by a
 * killed run is removed with the volume it was filling (made by that run, never by the user).
 */
async function restoreVolume(engine: EngineClient, image: HelperImage, dir: string, v: StoreVolume, onBytes: (n: number) => void): Promise<void> {
  const body = (async function* () {
    for await (const c of createReadStream(blobPath(dir, v.blob), { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      onBytes(c.length);
      yield c;
    }
  })();
  await fillVolume(engine, image, v, body, `volume ${v.name} in the store`,
    () => volumeTree(createReadStream(blobPath(dir, v.blob), { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>, `volume ${v.name} in the store`));
}

/**
 * Fills volume `v` on `engine` from `body` (a tar of its contents, entries relative to the volume) and checks
 * that the result has `v.contentDigest`; `expected` gives the source's tree, read only to name a difference.
 */
export async function fillVolume(engine: EngineClient, image: HelperImage, v: VolumeSpec & { contentDigest: string }, body: AsyncIterable<Buffer>, where: string,
  expected: () => Promise<VolumeTree>): Promise<void> {
  const leftovers = await leftoverHelpers(engine, v.name);
  if (leftovers.length) {
    for (const id of leftovers) await engine.removeContainer(id, { force: true, volumes: false });
    await engine.removeVolume(v.name);
  } else if (await volumeExists(engine, v.name)) {
    throw new SkipAction('a volume of this name exists on the target with other content');
  }
  const helper = await createHelper(engine, image, v, 'restore');
  const files: ZeroRuns[] = [];
  await engine.putArchive(helper, '/', underMount(body, MOUNT, where, (f) => { if (f.zeroBytes >= SPARSE_MIN_BYTES) files.push(f); }));
  const mount = await localMountpoint(engine, v.name);
  if (mount) await restoreHoles(mount, files);
  const stream = await readVolumeArchive(engine, helper, v.name);
  let actual: VolumeTree;
  try {
    actual = await volumeTree(stream, `volume ${v.name} on the target`);
  } finally {
    (stream as { destroy?: () => void }).destroy?.();
  }
  // read from elsewhere, the target's tree lacks the xattrs the archive API leaves out: compare without them
  const same = mount ? actual.digest === v.contentDigest : actual.apiDigest === (await expected()).apiDigest;
  if (!same) {
    const first = treeDifferences((await expected()).records, actual.records)[0];
    throw new VerificationFailedError(`volume ${v.name} holds ${actual.digest} after the restore, the source ${v.contentDigest}`
      + (first ? `: /${first.path} is ${first.actual || 'absent'} on the target, ${first.expected || 'absent'} in the source` : ''), 'Run the migration again, or `stowage migrate verify` to see which paths differ.');
  }
  await engine.removeContainer(helper, { force: true, volumes: false });
}
