/** The engine's answers, normalised across API versions. Only engine/ builds these. */

export interface EngineVersion {
  version: string;
  apiVersion: string;
  minApiVersion: string | undefined;
  os: string;
  arch: string;
  kernelVersion: string;
}

export interface EngineInfo {
  serverVersion: string;
  /** The host name of the daemon's machine (`docker info`'s Name). */
  name: string;
  storageDriver: string;
  /** DriverStatus pairs, e.g. `Backing Filesystem` -> `extfs`, `Supports d_type` -> `true`. */
  driverStatus: Record<string, string>;
  /** True when images live in containerd's store (snapshotters), not in a graph driver. */
  containerdImageStore: boolean;
  dockerRootDir: string;
  images: number;
  containers: number;
  containersRunning: number;
  containersStopped: number;
  cgroupVersion: string | undefined;
  kernelVersion: string;
  operatingSystem: string;
  warnings: string[];
  /** The daemon's default log driver (`json-file` unless configured). */
  loggingDriver?: string;
}

export interface ImageUsage {
  id: string;
  repoTags: string[];
  created: number;
  size: number;
  sharedSize: number;
  /** Containers using the image; -1 when the engine did not count. */
  containers: number;
  dangling: boolean;
}

export interface ContainerUsage {
  id: string;
  names: string[];
  image: string;
  state: string;
  sizeRw: number;
  sizeRootFs: number;
  created: number;
}

export interface VolumeUsage {
  name: string;
  driver: string;
  mountpoint: string;
  /** -1 when the engine did not measure (non-local drivers). */
  size: number;
  refCount: number;
}

export interface BuildCacheUsage {
  id: string;
  type: string;
  description: string;
  inUse: boolean;
  shared: boolean;
  size: number;
  createdAt: string | undefined;
  lastUsedAt: string | undefined;
  usageCount: number;
  /** Records this one is built on (`Parent` up to 1.41, `Parents` from 1.42): they go only after it. */
  parents?: string[];
}

export interface UsageTotals {
  count: number;
  active: number;
  size: number;
  reclaimable: number;
}

/** What `/system/df` says, with totals computed the way `docker system df` computes them. */
export interface DiskUsage {
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
  volumes: VolumeUsage[];
  buildCache: BuildCacheUsage[];
  totals: { images: UsageTotals; containers: UsageTotals; volumes: UsageTotals; buildCache: UsageTotals };
}

export interface ImageDetail {
  id: string;
  repoTags: string[];
  layers: string[];
  size: number;
  graphDriver: { name: string; data: Record<string, string> };
  /** When the image was last tagged (`Metadata.LastTagTime`), RFC 3339; absent when never or unknown. */
  lastTagTime?: string;
}

export interface ContainerDetail {
  id: string;
  name: string;
  state: string;
  graphDriver: { name: string; data: Record<string, string> };
  /** Where a json-file log lives on the engine's host (`LogPath`); empty for other drivers. */
  logPath?: string;
  /** The container's log driver and options (`HostConfig.LogConfig`), with the daemon's defaults merged in at create. */
  logConfig?: { type: string; config: Record<string, string> };
  /** The image ID the container was created from. */
  image?: string;
  /** True while it runs, is paused or restarting (`State.Running`…), for re-checks just before a removal. */
  running?: boolean;
  /** Published TCP ports: container port to the host address the engine bound (`NetworkSettings.Ports`). */
  ports?: Record<number, { hostIp: string; hostPort: number }>;
  /** `State.StartedAt` and `State.FinishedAt` (RFC 3339), unless Go's zero time (never started, never stopped). */
  startedAt?: string;
  finishedAt?: string;
}

/** A container event from the engine's event buffer (`GET /events`): what happened, to which container, made from which image. */
export interface ContainerEvent {
  action: string;
  containerId: string;
  /** The image as the container was created with it (`app:1`, or an ID). */
  image: string;
  /** ms since the epoch. */
  timeMs: number;
}

/** What stowage sets when it creates a container (bench start, bench disk --in-container). */
export interface ContainerSpec {
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  name?: string;
  labels?: Record<string, string>;
  /** A TTY merges stdout and stderr into one raw stream, so attach needs no demultiplexing. */
  tty?: boolean;
  /** Cgroup the container's cgroup is created under (`docker run --cgroup-parent`). */
  cgroupParent?: string;
  networkMode?: string;
  workingDir?: string;
  /** Write IOPS limits on block devices (`docker run --device-write-iops /dev/vda:20`). */
  deviceWriteIops?: { path: string; rate: number }[];
  /** Named volumes to mount (`HostConfig.Mounts`); a missing one is created with `driver` and `labels`. */
  volumes?: { name: string; target: string; readOnly?: boolean; driver?: string; labels?: Record<string, string>; options?: Record<string, string> }[];
  /** Container TCP ports published on a free port of `hostIp` (`docker run -p 127.0.0.1::PORT`). */
  publish?: { containerPort: number; hostIp: string }[];
}

/** What a registry push or pull reported at its end. */
export interface TransferResult {
  /** The manifest digest the registry holds (`sha256:…`), when the engine said. */
  digest: string | undefined;
  /** Layers the engine sent or fetched, and those it skipped because the other side had them. */
  layersTransferred: number;
  layersSkipped: number;
}

export interface ContainerExit {
  statusCode: number;
  error: string | undefined;
}

/** One row of `docker history`. */
export interface ImageHistoryEntry {
  id: string;
  created: number;
  createdBy: string;
  size: number;
}

/** A build through `POST /build`: the context directory is sent as a tar (honouring .dockerignore). */
export interface BuildRequest {
  contextDir: string;
  /** Dockerfile path relative to contextDir. */
  dockerfile: string;
  /** Context-relative files to send (already filtered by .dockerignore); the whole directory when omitted. */
  files?: string[];
  tag: string;
  /** `buildkit` sends version=2 (BuildKit in the engine, no client session); `classic` the legacy builder. */
  builder: 'buildkit' | 'classic';
  noCache?: boolean;
  networkMode?: string;
  /** `--build-arg NAME=VALUE`s. */
  buildArgs?: Record<string, string>;
  /** The stage to build (`--target`). */
  target?: string;
  /** `os/arch[/variant]` to build for (`--platform`). */
  platform?: string;
}
