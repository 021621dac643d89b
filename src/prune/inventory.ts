/**
 * What prune plans over, read from the engine in one pass: containers with their mounts and networks, images
 * with their layers, volumes, networks and build cache, with the sizes `docker system df` reports.
 */
import { createHash } from 'node:crypto';
import type { CapabilityContext } from '../context.js';
import type { ContainerListEntry, EngineClient, ImageListEntry } from '../engine/engine-client.js';
import { isActiveState } from '../engine/system-df.js';
import type { BuildCacheUsage, DiskUsage, EngineInfo } from '../engine/types.js';
import { BadInputError } from '../errors.js';
import { spaceOf } from '../host/filesystem.js';
import { mapLimit } from '../map-limit.js';
import { chainIds } from '../image/chain-ids.js';
import { layerSizes, type ImageLayers } from './image-layers.js';
import { readStoredContainerTimes, readStoredImageConfigSync, readStoredLastTagTime, readStoredLayerSize, storedImageIds } from '../engine/image-store.js';

export interface InventoryContainer {
  id: string;
  name: string;
  imageId: string;
  /** The image as the container names it (`app:1`, or an ID). */
  image: string;
  state: string;
  /** Running, paused or restarting: never removed, and what it uses stays. */
  active: boolean;
  /** Seconds since the epoch. */
  created: number;
  labels: Record<string, string>;
  volumes: string[];
  networks: string[];
  /** Its writable layer, as `docker system df` measures it. */
  sizeRw: number;
  /** Its last start and stop, ms since the epoch; read only when the plan needs images' last use. */
  startedAt?: number;
  finishedAt?: number;
}

export interface InventoryImage {
  id: string;
  repoTags: string[];
  dangling: boolean;
  /** Seconds since the epoch. */
  created: number;
  /** Last tagged (`Metadata.LastTagTime`), ms since the epoch, when known. */
  lastTagged?: number;
  labels: Record<string, string>;
  size: number;
  sharedSize: number;
  layers: ImageLayers | undefined;
  /** The latest container event naming it in the engine's event buffer (containers since removed included). */
  lastEvent?: { ms: number; what: string };
}

export interface InventoryVolume {
  name: string;
  anonymous: boolean;
  labels: Record<string, string>;
  /** -1 when the engine did not measure it. */
  size: number;
  /** ms since the epoch, when known. */
  created?: number;
}

export interface InventoryNetwork {
  id: string;
  name: string;
  predefined: boolean;
  scope: string;
  labels: Record<string, string>;
  created?: number;
}

export interface PruneInventory {
  /** ms since the epoch, when it was read. */
  takenAt: number;
  apiVersion: string;
  containers: InventoryContainer[];
  images: InventoryImage[];
  volumes: InventoryVolume[];
  networks: InventoryNetwork[];
  buildCache: BuildCacheUsage[];
  usage: DiskUsage;
  /** With `lastUse`: where images' last use came from, for the plan to say. */
  lastUse?: { containerTimes: 'store' | 'inspect' | 'none'; events: number; eventsSince?: number };
  /** The data-root filesystem's size and free bytes (statfs), read only for a space target. */
  space?: { path: string; totalBytes: number; freeBytes: number };
}

const time = (text: string | undefined): number | undefined => {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) && t > 0 ? t : undefined;
};

/**
 * Reads the engine's state: one `/system/df` (which lists images, containers and volumes up to API 1.51), the
 * networks, and the layers of the images that share some with another (the rest free all their bytes). On the
 * engine's own host those layers are read from its image store, each config checked against its image ID, and
 * sized from its layer store: the same figures as inspect and history, without a request per image.
 * `tagTimes: false` leaves out the images' last tag time where it costs a read per image (only --keep-recent,
 * --keep-since and a space target use it).
 */
export async function readInventory(engine: EngineClient, context: CapabilityContext, options: { space?: boolean; lastUse?: boolean; tagTimes?: boolean } = {}): Promise<PruneInventory> {
  context.progress.update({ step: 'reading the engine\'s disk usage' });
  const local = engine.endpoint.transport.kind === 'unix';
  const listing = engine.diskUsageListed();
  const asking = local ? engine.info() : Promise.resolve(undefined);
  const tagTimes = options.tagTimes ?? true;
  // images share most of their layers: each layer's size is read once
  const layerSize = new Map<string, number | undefined>();
  const early = readStoreMeanwhile(listing, asking, layerSize, tagTimes);
  const [listed, networks, info] = await Promise.all([listing, engine.listNetworks(), asking]);
  const readEarly = await early;
  const [containers, images, volumes] = await Promise.all([
    listed.containers ?? engine.listContainers({ all: true }), listed.images ?? engine.listImages(), listed.volumes ?? engine.listVolumes(),
  ]);
  const usage = listed.usage;
  context.signal.throwIfAborted();
  const usageOf = new Map(usage.images.map((i) => [i.id, i]));
  const rwOf = new Map(usage.containers.map((c) => [c.id, c.sizeRw]));
  const volumeSize = new Map(usage.volumes.map((v) => [v.name, v.size]));
  const needLayers = images.filter((i) => (usageOf.get(i.id)?.sharedSize ?? -1) !== 0);
  const store = storeOf(info);
  const layers = new Map<string, { layers: ImageLayers | undefined; lastTagged?: number }>();
  for (const image of store ? needLayers : []) {
    const read = readEarly.has(image.id) ? readEarly.get(image.id) : storedLayers(store!.root, store!.driver, image.id, layerSize, tagTimes);
    if (read) layers.set(image.id, read);
  }
  const asked = needLayers.filter((i) => !layers.has(i.id));
  let done = needLayers.length - asked.length;
  await mapLimit(asked, 8, async (image) => {
    context.signal.throwIfAborted();
    layers.set(image.id, await inspectedLayers(engine, image.id));
    context.progress.update({ step: 'reading image layers', done: ++done, total: needLayers.length, unit: 'items' });
  });
  const space = options.space ? await dataRootSpace(engine, info?.dockerRootDir) : undefined;
  const use = options.lastUse ? await readLastUse(engine, containers, images, store?.root, context) : undefined;
  return {
    ...(space ? { space } : {}),
    ...(use ? { lastUse: use.summary } : {}),
    takenAt: context.clock.now(),
    apiVersion: engine.apiVersion,
    containers: containers.map((c) => ({
      id: c.id, name: c.names[0] ?? c.id.slice(0, 12), imageId: c.imageId, image: c.image, state: c.state,
      active: isActiveState(c.state), created: c.created, labels: c.labels ?? {},
      volumes: (c.mounts ?? []).flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : [])),
      networks: c.networks ?? [], sizeRw: rwOf.get(c.id) ?? 0, ...use?.times.get(c.id),
    })),
    images: images.map((i) => {
      const u = usageOf.get(i.id);
      const l = layers.get(i.id);
      return {
        id: i.id, repoTags: i.repoTags, dangling: i.repoTags.length === 0, created: i.created,
        ...(l?.lastTagged ? { lastTagged: l.lastTagged } : {}),
        labels: i.labels ?? {}, size: u?.size ?? i.size, sharedSize: u?.sharedSize ?? -1, layers: l?.layers,
        ...(use?.events.has(i.id) ? { lastEvent: use.events.get(i.id)! } : {}),
      };
    }),
    volumes: volumes.map((v) => {
      const created = time(v.createdAt);
      return { name: v.name, anonymous: v.anonymous, labels: v.labels, size: volumeSize.get(v.name) ?? -1, ...(created ? { created } : {}) };
    }),
    networks: networks.map((n) => {
      const created = time(n.created);
      return { id: n.id, name: n.name, predefined: n.predefined, scope: n.scope, labels: n.labels, ...(created ? { created } : {}) };
    }),
    buildCache: usage.buildCache,
    usage,
  };
}

const storeOf = (info: EngineInfo | undefined) =>
  (info && !info.containerdImageStore && info.dockerRootDir ? { root: info.dockerRootDir, driver: info.storageDriver } : undefined);

/**
 * While the engine answers `/system/df` (seconds with thousands of containers, as it sizes each one's
 * writable layer), the layers of the images in its store are read, a few at a time, until the answer is in:
 * that time is otherwise spent waiting. Which images need their layers is known only from the answer, so every
 * image in the store is read in the store's order; what is not read by then is read after, as without this.
 */
async function readStoreMeanwhile(listing: Promise<unknown>, asking: Promise<EngineInfo | undefined>, layerSize: Map<string, number | undefined>, tagTimes: boolean): Promise<Map<string, ReadLayers | undefined>> {
  const read = new Map<string, ReadLayers | undefined>();
  let answered = false;
  listing.then(() => { answered = true; }, () => { answered = true; });
  const store = storeOf(await asking.catch(() => undefined));
  if (!store || answered) return read;
  const ids = await storedImageIds(store.root, store.driver);
  for (let i = 0; i < ids.length && !answered; i++) {
    read.set(ids[i]!, storedLayers(store.root, store.driver, ids[i]!, layerSize, tagTimes));
    // let the answer in between batches
    if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  return read;
}

/**
 * What the engine tells of images' use: each container's last start and stop (from its saved state on the
 * engine's host, else inspect), and for containers removed since (`docker run --rm`) the container events in
 * the engine's buffer (the latest 256). An event names the image as the container was created with
 * it; a tag is matched to the image it points at now.
 */
async function readLastUse(engine: EngineClient, containers: readonly ContainerListEntry[], images: readonly ImageListEntry[], root: string | undefined, context: CapabilityContext) {
  const ms = (t: string | undefined) => time(t);
  const times = new Map<string, { startedAt?: number; finishedAt?: number }>();
  let method: 'store' | 'inspect' | 'none' = containers.length ? (root ? 'store' : 'inspect') : 'none';
  const set = (id: string, t: { startedAt?: string; finishedAt?: string } | undefined) => {
    const startedAt = ms(t?.startedAt);
    const finishedAt = ms(t?.finishedAt);
    times.set(id, { ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}) });
  };
  const stored = new Map(root ? containers.map((c) => [c.id, readStoredContainerTimes(root, c.id)]) : []);
  const asked = containers.filter((c) => !stored.get(c.id));
  if (root && asked.length) method = 'inspect';
  await mapLimit(asked, 8, async (c) => { stored.set(c.id, await engine.inspectContainer(c.id).catch(() => undefined)); });
  for (const c of containers) set(c.id, stored.get(c.id));
  const byRef = new Map<string, string>();
  for (const i of images) {
    byRef.set(i.id, i.id);
    byRef.set(i.id.slice(7), i.id);
    for (const t of i.repoTags) byRef.set(t, i.id);
  }
  const ref = (image: string) => byRef.get(image) ?? byRef.get(`${image}:latest`)
    ?? (/^(sha256:)?[0-9a-f]{12,}$/.test(image) ? images.find((i) => i.id.replace(/^sha256:/, '').startsWith(image.replace(/^sha256:/, '')))?.id : undefined);
  const now = Math.floor(context.clock.now() / 1000);
  const list = await engine.containerEvents(0, now).catch(() => []);
  const events = new Map<string, { ms: number; what: string }>();
  // a container that still exists has its own times: events count for the ones removed since
  const present = new Set(containers.map((c) => c.id));
  for (const e of list) {
    if (!['create', 'start', 'die', 'stop', 'destroy'].includes(e.action) || present.has(e.containerId)) continue;
    const id = ref(e.image);
    if (id && e.timeMs > (events.get(id)?.ms ?? 0)) events.set(id, { ms: e.timeMs, what: `container ${e.containerId.slice(0, 12)} ${e.action === 'die' ? 'stopped' : e.action === 'destroy' ? 'removed' : `${e.action === 'create' ? 'created' : 'started'}`} (engine event)` });
  }
  const oldest = list.length ? Math.min(...list.map((e) => e.timeMs)) : undefined;
  return { times, events, summary: { containerTimes: method, events: list.length, ...(oldest ? { eventsSince: oldest } : {}) } };
}

interface ReadLayers { layers: ImageLayers | undefined; lastTagged?: number }

/** Through the API: inspect for the layers, and history for their sizes when there is more than one. */
async function inspectedLayers(engine: EngineClient, id: string): Promise<ReadLayers> {
  const detail = await engine.inspectImage(id);
  const chain = chainIds(detail.layers);
  // one layer is the image's whole size; only deeper images need their history to size each layer
  const sizes = chain.length <= 1 ? chain.map(() => detail.size)
    : layerSizes(chain.length, (await engine.imageHistory(id)).map((h) => h.size), detail.size);
  const lastTagged = time(detail.lastTagTime);
  return { layers: { chain, sizes }, ...(lastTagged ? { lastTagged } : {}) };
}

/**
 * From the engine's own stores, or undefined (then the API is asked): the config must hash to the image ID
 * (so it is that image's, whatever reads it) and every layer must be in the layer store with its size.
 */
function storedLayers(root: string, driver: string, id: string, layerSize: Map<string, number | undefined>, tagTime: boolean): ReadLayers | undefined {
  try {
    const config = readStoredImageConfigSync(root, id, driver);
    if (`sha256:${createHash('sha256').update(config).digest('hex')}` !== id) return undefined;
    const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string')) return undefined;
    const chain = chainIds(diffIds as string[]);
    const sizes = chain.map((c) => {
      if (!layerSize.has(c)) layerSize.set(c, readStoredLayerSize(root, driver, c));
      return layerSize.get(c);
    });
    if (sizes.some((n) => n === undefined)) return undefined;
    const lastTagged = tagTime ? time(readStoredLastTagTime(root, driver, id)) : undefined;
    return { layers: { chain, sizes: sizes as number[] }, ...(lastTagged ? { lastTagged } : {}) };
  } catch {
    return undefined;
  }
}

/** The data-root's filesystem, for a space target: only on the engine's own host. */
async function dataRootSpace(engine: EngineClient, known: string | undefined): Promise<{ path: string; totalBytes: number; freeBytes: number }> {
  if (engine.endpoint.transport.kind !== 'unix') {
    throw new BadInputError(`a space target needs the engine's data-root on this host, and ${engine.endpoint.url} is remote`, 'Run stowage on the engine\'s host, or prune without `untilFree`/`untilUsed`.');
  }
  const path = known ?? (await engine.info()).dockerRootDir;
  try {
    const s = await spaceOf(path);
    return { path, totalBytes: s.totalBytes, freeBytes: s.freeBytes };
  } catch (err) {
    throw new BadInputError(`a space target needs the data-root's filesystem, and ${path} cannot be read here: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
