/** The interface every capability uses to reach Docker; the only implementation is in dockerode-engine.ts. */
import type { Endpoint } from './endpoint.js';
import type { ContainerDetail, ContainerEvent, DiskUsage, EngineInfo, EngineVersion, ImageDetail } from './types.js';
import type { BuildRequest, ContainerExit, ContainerSpec, ImageHistoryEntry, TransferResult } from './types.js';

export interface ImageListEntry {
  id: string;
  repoTags: string[];
  size: number;
  created: number;
  /** The image's labels (its config's `Labels`). */
  labels?: Record<string, string>;
  /** `repo@sha256:…` names; an image with neither tags nor digests is dangling. */
  repoDigests?: string[];
}

export interface ContainerListEntry {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  state: string;
  status: string;
  created: number;
  labels?: Record<string, string>;
  /** Volumes and bind mounts (`Mounts`): a volume's `name` is set for `type: 'volume'`. */
  mounts?: { type: string; name?: string; source: string; destination: string }[];
  /** Names of the networks the container is attached to (stopped containers keep theirs). */
  networks?: string[];
}

export interface ListContainersOptions {
  /** Also stopped containers; true unless false is given. */
  all?: boolean;
  labels?: Record<string, string>;
  /** Containers of this image (name or ID) or of an image built on it. */
  ancestor?: string;
  /** Containers that mount this volume. */
  volume?: string;
  /** Containers attached to this network (name or ID). */
  network?: string;
}

export interface DiskUsageListed {
  usage: DiskUsage;
  /** Absent when the engine's answer did not list them (then list them separately). */
  images?: ImageListEntry[];
  containers?: ContainerListEntry[];
  volumes?: VolumeListEntry[];
}

export interface VolumeListEntry {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** RFC 3339, when the engine says. */
  createdAt: string | undefined;
  /** True for a volume the engine created for a container (`docker run -v /path`): a 64-hex name or the anonymous label. */
  anonymous: boolean;
}

export interface NetworkListEntry {
  id: string;
  name: string;
  driver: string;
  scope: string;
  labels: Record<string, string>;
  created: string | undefined;
  /** bridge, host and none: the engine's own, never removable. */
  predefined: boolean;
}

export interface EngineClient {
  readonly endpoint: Endpoint;
  /** The API version both sides agreed on, e.g. `1.41`. */
  readonly apiVersion: string;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  diskUsage(): Promise<DiskUsage>;
  /**
   * `/system/df` with, where the answer carries them (API <= 1.51), its images, containers and volumes as the
   * list calls give them: one walk of the engine's state instead of four calls.
   */
  diskUsageListed(): Promise<DiskUsageListed>;
  listImages(options?: { all?: boolean; dangling?: boolean }): Promise<ImageListEntry[]>;
  inspectImage(nameOrId: string): Promise<ImageDetail>;
  /** Containers, all states by default; `labels` keeps those carrying every given label. */
  /** Containers (all by default); `ancestor`, `volume` and `network` filter at the engine, as `docker ps --filter` does. */
  listContainers(options?: ListContainersOptions): Promise<ContainerListEntry[]>;
  inspectContainer(id: string): Promise<ContainerDetail>;
  /** Container events between two times (seconds since the epoch) from the engine's event buffer, which keeps only the latest 256. */
  containerEvents(sinceSec: number, untilSec: number): Promise<ContainerEvent[]>;
  /** Creates a container; returns its id. `timeoutMs` overrides the per-request limit (slow disks). */
  createContainer(spec: ContainerSpec, timeoutMs?: number): Promise<string>;
  startContainer(id: string, timeoutMs?: number): Promise<void>;
  /** Waits until the container stops; returns its exit status. */
  waitContainer(id: string, timeoutMs?: number): Promise<ContainerExit>;
  /** Removes a container with its anonymous volumes (unless `volumes: false`); `force` kills it first. */
  removeContainer(id: string, options?: { force?: boolean; timeoutMs?: number; volumes?: boolean }): Promise<void>;
  /** The container's output stream (raw when it has a TTY); attach before start to miss nothing. */
  attachContainer(id: string): Promise<NodeJS.ReadableStream>;
  imageHistory(nameOrId: string): Promise<ImageHistoryEntry[]>;
  removeImage(nameOrId: string, options?: { force?: boolean }): Promise<void>;
  /**
   * Builds an image and hands every JSON message of the engine's progress stream to `onMessage`
   * (BuildKit traces arrive as `{id: "moby.buildkit.trace", aux: base64}`). Resolves when the stream ends.
   */
  buildImage(request: BuildRequest, onMessage: (message: Record<string, unknown>) => void, timeoutMs?: number): Promise<void>;
  /**
   * Removes one build-cache record (`POST /build/prune` with an `id` filter, which moby hands BuildKit as a
   * regex, so it is anchored); returns whether it went and the bytes reclaimed. Records in use, and records
   * other records were built on, are left alone by the engine.
   */
  removeBuildCache(id: string): Promise<{ removed: boolean; bytes: number }>;
  /** Volumes (`GET /volumes`). */
  listVolumes(): Promise<VolumeListEntry[]>;
  /** Removes a volume (`DELETE /volumes/{name}`); a volume in use is a 409 EngineRequestError. */
  removeVolume(name: string): Promise<void>;
  /** Networks (`GET /networks`). */
  listNetworks(): Promise<NetworkListEntry[]>;
  /** Removes a network (`DELETE /networks/{id}`); one with endpoints is refused by the engine (403/409). */
  removeNetwork(id: string): Promise<void>;
  /** The image as a docker-archive tar stream (`GET /images/{name}/get`, what `docker save` writes). */
  saveImage(nameOrId: string): Promise<AsyncIterable<Buffer>>;
  /**
   * Loads a docker-archive stream (`POST /images/load`, what `docker load` sends); resolves with what the engine
   * reported loading (`repo:tag` names or `sha256:` ids) and rejects when its progress stream carries an error.
   */
  loadImage(archive: AsyncIterable<Buffer>, timeoutMs?: number): Promise<string[]>;
  /** Points `repo:tag` at an image (`POST /images/{name}/tag`), moving the tag if it exists. */
  tagImage(nameOrId: string, repo: string, tag: string): Promise<void>;
  /**
   * Creates an image from one layer tar (`POST /images/create?fromSrc=-`, what `docker import` sends): the tar
   * streams straight into the layer store. Resolves with the new image's ID; its config is the engine's default.
   * `onSent` is called once the whole tar is on its way (handed to the operating system), before the engine's
   * answer, which comes once it has unpacked the layer.
   */
  importImage(tar: AsyncIterable<Buffer>, options?: { timeoutMs?: number; onSent?: () => void }): Promise<string>;
  /** Pushes `repo:tag` to its registry (`POST /images/{name}/push`); an error in the progress stream rejects. */
  pushImage(reference: string, timeoutMs?: number): Promise<TransferResult>;
  /** Pulls `repo:tag` from its registry (`POST /images/create?fromImage=`); an error in the progress stream rejects. */
  pullImage(reference: string, timeoutMs?: number): Promise<TransferResult>;
  /** Several images in one docker-archive stream (`GET /images/get?names=…`): each layer sent once. */
  saveImages(namesOrIds: string[]): Promise<AsyncIterable<Buffer>>;
  /** A volume's driver, labels and options (`GET /volumes/{name}`); a missing one is a 404 EngineRequestError. */
  inspectVolume(name: string): Promise<VolumeDetail>;
  /** A tar of `path` in a container, stopped or not, its volumes included (`GET /containers/{id}/archive`). */
  getArchive(containerId: string, path: string): Promise<AsyncIterable<Buffer>>;
  /** Extracts a tar into `path` of a container, owners kept (`PUT /containers/{id}/archive`). */
  putArchive(containerId: string, path: string, tar: AsyncIterable<Buffer>, timeoutMs?: number): Promise<void>;
  /** Commits a container's writable layer as an image tagged `repo:tag`, without pausing it (`POST /commit`); resolves with the image ID. */
  commitContainer(containerId: string, repo: string, tag: string, comment: string): Promise<string>;
}

export interface VolumeDetail {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Where its data lives on the engine's host. */
  mountpoint: string;
}
