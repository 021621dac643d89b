/**
 * Normalises `/system/df` across API versions. Up to 1.51 the answer has `LayersSize`, `Images`,
 * `Containers`, `Volumes`, `BuildCache`; 1.52 added `ImagesDiskUsage`-style objects with `Items`, and 1.53
 * dropped the legacy fields. Totals follow the docker CLI's own formulas (cli/command/formatter/disk_usage.go).
 */
import type {
  BuildCacheUsage, ContainerUsage, DiskUsage, ImageUsage, UsageTotals, VolumeUsage,
} from './types.js';

type Raw = Record<string, unknown>;

export function normaliseDiskUsage(raw: Raw): DiskUsage {
  const imagesRaw = items(raw, 'Images', 'ImagesDiskUsage');
  const images = imagesRaw.map(toImage);
  const containers = items(raw, 'Containers', 'ContainersDiskUsage').map(toContainer);
  const volumes = items(raw, 'Volumes', 'VolumesDiskUsage').map(toVolume);
  const buildCache = items(raw, 'BuildCache', 'BuildCacheDiskUsage').map(toBuildCache);
  const layersSize = num(raw.LayersSize, num(obj(raw.ImagesDiskUsage).TotalSize, sum(images.map((i) => i.size))));
  return {
    layersSize,
    images,
    containers,
    volumes,
    buildCache,
    totals: {
      images: imageTotals(images, layersSize),
      containers: containerTotals(containers),
      volumes: volumeTotals(volumes),
      buildCache: buildCacheTotals(buildCache),
    },
  };
}

function items(raw: Raw, legacy: string, modern: string): Raw[] {
  const list = raw[legacy];
  if (Array.isArray(list)) return list as Raw[];
  const nested = obj(raw[modern]).Items;
  return Array.isArray(nested) ? (nested as Raw[]) : [];
}

function toImage(r: Raw): ImageUsage {
  const repoTags = strings(r.RepoTags).filter((t) => t !== '<none>:<none>');
  return {
    id: String(r.Id ?? ''),
    repoTags,
    created: num(r.Created, 0),
    size: num(r.Size, num(r.VirtualSize, 0)),
    sharedSize: num(r.SharedSize, -1),
    containers: num(r.Containers, -1),
    dangling: repoTags.length === 0 && strings(r.RepoDigests).filter((d) => d !== '<none>@<none>').length === 0,
  };
}

function toContainer(r: Raw): ContainerUsage {
  return {
    id: String(r.Id ?? ''),
    names: strings(r.Names).map((n) => n.replace(/^\//, '')),
    image: String(r.Image ?? ''),
    state: String(r.State ?? ''),
    sizeRw: num(r.SizeRw, 0),
    sizeRootFs: num(r.SizeRootFs, 0),
    created: num(r.Created, 0),
  };
}

function toVolume(r: Raw): VolumeUsage {
  const usage = obj(r.UsageData);
  return {
    name: String(r.Name ?? ''),
    driver: String(r.Driver ?? ''),
    mountpoint: String(r.Mountpoint ?? ''),
    size: num(usage.Size, -1),
    refCount: num(usage.RefCount, -1),
  };
}

function toBuildCache(r: Raw): BuildCacheUsage {
  return {
    id: String(r.ID ?? r.Id ?? ''),
    type: String(r.Type ?? ''),
    description: String(r.Description ?? ''),
    inUse: r.InUse === true,
    shared: r.Shared === true,
    size: num(r.Size, 0),
    createdAt: typeof r.CreatedAt === 'string' ? r.CreatedAt : undefined,
    lastUsedAt: typeof r.LastUsedAt === 'string' ? r.LastUsedAt : undefined,
    usageCount: num(r.UsageCount, 0),
    parents: Array.isArray(r.Parents) ? strings(r.Parents) : typeof r.Parent === 'string' && r.Parent ? [r.Parent] : [],
  };
}

/** Images: reclaimable is the layer total less what images in use hold alone (docker CLI's rule). */
function imageTotals(images: ImageUsage[], layersSize: number): UsageTotals {
  let used = 0;
  let active = 0;
  for (const image of images) {
    if (image.containers > 0) {
      active++;
      if (image.size !== -1 && image.sharedSize !== -1) used += image.size - image.sharedSize;
    }
  }
  return { count: images.length, active, size: layersSize, reclaimable: Math.max(0, layersSize - used) };
}

export function isActiveState(state: string): boolean {
  return state.includes('running') || state.includes('paused') || state.includes('restarting');
}

function containerTotals(containers: ContainerUsage[]): UsageTotals {
  const active = containers.filter((c) => isActiveState(c.state));
  const size = sum(containers.map((c) => c.sizeRw));
  return { count: containers.length, active: active.length, size, reclaimable: size - sum(active.map((c) => c.sizeRw)) };
}

function volumeTotals(volumes: VolumeUsage[]): UsageTotals {
  const measured = volumes.filter((v) => v.size !== -1);
  return {
    count: volumes.length,
    active: volumes.filter((v) => v.refCount > 0).length,
    size: sum(measured.map((v) => v.size)),
    reclaimable: sum(measured.filter((v) => v.refCount === 0).map((v) => v.size)),
  };
}

function buildCacheTotals(records: BuildCacheUsage[]): UsageTotals {
  const own = records.filter((r) => !r.shared);
  const size = sum(own.map((r) => r.size));
  const inUse = sum(own.filter((r) => r.inUse).map((r) => r.size));
  return { count: records.length, active: records.filter((r) => r.inUse).length, size, reclaimable: size - inUse };
}

function obj(value: unknown): Raw {
  return value && typeof value === 'object' ? (value as Raw) : {};
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
