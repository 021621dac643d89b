/**
 * EngineClient over the Engine API: connects by the docker CLI's rules and negotiates the API version. Reads,
 * removals, tags and uploads (load, import, an archive put) go as plain requests (engine-http.ts); dockerode is
 * loaded only for the first call that needs it (build, save, attach, create, start, wait, push, pull).
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import type Docker from 'dockerode';
import { EngineRequestError, EngineUnreachableError } from '../errors.js';
import type { ContainerListEntry, DiskUsageListed, ListContainersOptions, EngineClient, ImageListEntry, NetworkListEntry, VolumeDetail, VolumeListEntry } from './engine-client.js';
import { loadDockerode } from './dockerode-loader.js';
import type { Endpoint } from './endpoint.js';
import { endpointFor, type ConnectOptions } from './endpoint-for.js';
import { toEngineError, unreachable, withTimeout } from './engine-errors.js';
import { engineRequest, engineUpload, type HttpTarget, type Query } from './engine-http.js';
import { threadUpload } from './upload-thread.js';
import { normaliseDiskUsage } from './system-df.js';
import { tcpConnects } from './tcp-connect.js';
import type { ContainerDetail, ContainerEvent, DiskUsage, EngineInfo, EngineVersion, ImageDetail } from './types.js';
import type { BuildRequest, ContainerExit, ContainerSpec, ImageHistoryEntry, TransferResult } from './types.js';

/** Oldest API stowage speaks (Docker 20.10) and newest whose shapes it knows. */
export const MIN_API_VERSION = '1.41';
export const MAX_API_VERSION = '1.53';
/** Added to an ssh endpoint's per-request limit: ssh2's own limit for connect, key exchange and authentication. */
const SSH_SESSION_ALLOWANCE_MS = 20_000;

export { endpointFor, type ConnectOptions } from './endpoint-for.js';

/** Connects to the engine and agrees on an API version; throws EngineUnreachableError with a cause. */
export async function connectEngine(options: ConnectOptions = {}): Promise<EngineClient> {
  const endpoint = endpointFor(options);
  // over ssh a request may first wait for a session and a remote `docker` process: seconds on a busy host
  const timeoutMs = (options.timeoutMs ?? 30_000) + (endpoint.transport.kind === 'ssh' ? SSH_SESSION_ALLOWANCE_MS : 0);
  // ssh2 only for an ssh endpoint; dockerode and what it pulls in (grpc, protobufjs, tar-fs) only on the first
  // call that needs it: loading them takes longer than most commands' whole work
  const agent = endpoint.transport.kind === 'ssh'
    ? await import('./ssh-transport.js').then((m) => m.sshAgent(m.sshConnectConfig(endpoint.transport as SshTransport), { keepAlive: true }))
    : undefined;
  const target = dockerodeOptions(endpoint, agent) as HttpTarget;
  let raw: { ApiVersion?: string };
  try {
    raw = await withTimeout(engineRequest<{ ApiVersion?: string }>(target, 'GET', '/version'), endpoint.transport.kind === 'ssh' ? timeoutMs : Math.min(timeoutMs, 10_000), endpoint);
  } catch (err) {
    throw await probeFailure(err, endpoint);
  }
  // a server that answers 200 with something else (a web page, another JSON API)
  if (typeof raw !== 'object' || raw === null || typeof raw.ApiVersion !== 'string') {
    throw unreachable('not-docker', endpoint);
  }
  const server = raw?.ApiVersion;
  if (!server || compareApiVersions(server, MIN_API_VERSION) < 0) {
    throw unreachable('api-version', endpoint, new Error(`engine API ${server ?? 'unknown'}, need >= ${MIN_API_VERSION}`));
  }
  const apiVersion = compareApiVersions(server, MAX_API_VERSION) > 0 ? MAX_API_VERSION : server;
  const loadDocker = async () => {
    const DockerClient = await loadDockerode();
    return new DockerClient({ ...dockerodeOptions(endpoint, agent), version: `v${apiVersion}` });
  };
  return new DockerodeEngine(loadDocker, target, endpoint, apiVersion, timeoutMs);
}

/**
 * Why the first request failed. Any HTTP status there means another server answered (the engine answers
 * GET /version to every client); a timeout over TCP or ssh is told apart by whether a plain TCP connection
 * to the port opens: if not, the host or a firewall is at fault, not a hung daemon.
 */
async function probeFailure(err: unknown, endpoint: Endpoint): Promise<Error> {
  if (typeof (err as { statusCode?: unknown })?.statusCode === 'number') return unreachable('not-docker', endpoint, err);
  const mapped = toEngineError(err, endpoint);
  const t = endpoint.transport;
  if (mapped instanceof EngineUnreachableError && mapped.failure === 'timeout' && t.kind !== 'unix'
    && !(await tcpConnects(t.host, t.port, 3000))) {
    return unreachable('host-unreachable', endpoint, new Error(`no TCP connection to ${t.host}:${t.port} within 3 s`));
  }
  return mapped;
}

export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

type SshTransport = Extract<Endpoint['transport'], { kind: 'ssh' }>;

function dockerodeOptions(endpoint: Endpoint, sshAgent: Agent | undefined): Docker.DockerOptions {
  const t = endpoint.transport;
  switch (t.kind) {
    case 'unix':
      return { socketPath: t.socketPath };
    case 'tcp': {
      if (!t.tls) return { host: t.host, port: t.port, protocol: 'http' };
      const read = (path: string | undefined) => (path ? readOptional(path) : undefined);
      return {
        host: t.host, port: t.port, protocol: 'https',
        ca: read(t.tls.ca), cert: read(t.tls.cert), key: read(t.tls.key),
      } as Docker.DockerOptions;
    }
    case 'ssh':
      // plain HTTP through our own ssh agent; the host name only fills the Host header
      return { host: 'docker', port: 80, protocol: 'http', agent: sshAgent } as Docker.DockerOptions;
  }
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

class DockerodeEngine implements EngineClient {
  /** Set by `call` before its work runs. */
  private docker!: Docker;
  private loading: Promise<Docker> | undefined;

  constructor(
    private readonly loadDocker: () => Promise<Docker>,
    private readonly target: HttpTarget,
    readonly endpoint: Endpoint,
    readonly apiVersion: string,
    private readonly timeoutMs: number,
  ) {}

  /** A call through dockerode, loaded on first use. */
  private async call<T>(work: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      this.docker ??= await (this.loading ??= this.loadDocker());
      return await withTimeout(work(), timeoutMs, this.endpoint);
    } catch (err) {
      throw toEngineError(err, this.endpoint);
    }
  }

  /** A plain JSON request at the negotiated API version. */
  private async request<T>(method: string, path: string, query?: Query, timeoutMs = this.timeoutMs, text = false): Promise<T> {
    try {
      return await withTimeout(engineRequest<T>(this.target, method, `/v${this.apiVersion}${path}`, query, text), timeoutMs, this.endpoint);
    } catch (err) {
      throw toEngineError(err, this.endpoint);
    }
  }

  async version(): Promise<EngineVersion> {
    const v = await this.request<Docker.DockerVersion>('GET', '/version');
    return {
      version: v.Version, apiVersion: v.ApiVersion, minApiVersion: v.MinAPIVersion,
      os: v.Os, arch: v.Arch, kernelVersion: v.KernelVersion ?? '',
    };
  }

  async info(): Promise<EngineInfo> {
    const i = await this.request<Record<string, unknown>>('GET', '/info');
    const pairs = Array.isArray(i.DriverStatus) ? (i.DriverStatus as [string, string][]) : [];
    const driverStatus = Object.fromEntries(pairs.filter((p) => Array.isArray(p) && p.length === 2));
    return {
      serverVersion: String(i.ServerVersion ?? ''),
      name: String(i.Name ?? ''),
      storageDriver: String(i.Driver ?? ''),
      driverStatus,
      containerdImageStore: driverStatus['driver-type'] === 'io.containerd.snapshotter.v1',
      dockerRootDir: String(i.DockerRootDir ?? ''),
      images: Number(i.Images ?? 0),
      containers: Number(i.Containers ?? 0),
      containersRunning: Number(i.ContainersRunning ?? 0),
      containersStopped: Number(i.ContainersStopped ?? 0),
      cgroupVersion: typeof i.CgroupVersion === 'string' ? i.CgroupVersion : undefined,
      kernelVersion: String(i.KernelVersion ?? ''),
      operatingSystem: String(i.OperatingSystem ?? ''),
      warnings: Array.isArray(i.Warnings) ? (i.Warnings as string[]) : [],
      ...(typeof i.LoggingDriver === 'string' ? { loggingDriver: i.LoggingDriver } : {}),
    };
  }

  async diskUsage(): Promise<DiskUsage> {
    // The engine walks writable layers and volumes here, so it may take longer than other calls.
    const raw = await this.request<Record<string, unknown>>('GET', '/system/df', undefined, Math.max(this.timeoutMs, 120_000));
    return normaliseDiskUsage(raw);
  }

  async diskUsageListed(): Promise<DiskUsageListed> {
    const raw = await this.request<Record<string, unknown>>('GET', '/system/df', undefined, Math.max(this.timeoutMs, 120_000));
    const usage = normaliseDiskUsage(raw);
    // up to API 1.51 the answer lists every object as the list endpoints do; later ones may give only totals
    const list = <T>(value: unknown): T[] | undefined => (value === null ? [] : Array.isArray(value) ? value as T[] : undefined);
    const [images, containers, volumes] = [list<Docker.ImageInfo>(raw.Images), list<Docker.ContainerInfo>(raw.Containers), list<Record<string, unknown>>(raw.Volumes)];
    if (!images || !containers || !volumes || !('Images' in raw)) return { usage };
    return { usage, images: images.map(toImageEntry), containers: containers.map(toContainerEntry), volumes: volumes.map(toVolumeEntry) };
  }

  async listImages(options: { all?: boolean; dangling?: boolean } = {}): Promise<ImageListEntry[]> {
    const filters = options.dangling ? JSON.stringify({ dangling: ['true'] }) : undefined;
    const list = await this.request<Docker.ImageInfo[]>('GET', '/images/json', { all: options.all ?? false, filters });
    return list.map(toImageEntry);
  }

  async inspectImage(nameOrId: string): Promise<ImageDetail> {
    const i = await this.request<Docker.ImageInspectInfo>('GET', `/images/${encodeURIComponent(nameOrId)}/json`);
    return {
      id: i.Id,
      repoTags: i.RepoTags ?? [],
      layers: i.RootFS?.Layers ?? [],
      size: i.Size,
      graphDriver: { name: i.GraphDriver?.Name ?? '', data: (i.GraphDriver?.Data ?? {}) as Record<string, string> },
      ...(lastTagTime(i) ? { lastTagTime: lastTagTime(i) } : {}),
    };
  }

  async listContainers(options: ListContainersOptions = {}): Promise<ContainerListEntry[]> {
    const label = Object.entries(options.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    const given: Record<string, string[]> = {
      ...(label.length ? { label } : {}),
      ...(options.ancestor ? { ancestor: [options.ancestor] } : {}),
      ...(options.volume ? { volume: [options.volume] } : {}),
      ...(options.network ? { network: [options.network] } : {}),
    };
    const filters = Object.keys(given).length ? JSON.stringify(given) : undefined;
    const list = await this.request<Docker.ContainerInfo[]>('GET', '/containers/json', { all: options.all ?? true, filters });
    return list.map(toContainerEntry);
  }

  async inspectContainer(id: string): Promise<ContainerDetail> {
    const c = await this.request<Docker.ContainerInspectInfo>('GET', `/containers/${encodeURIComponent(id)}/json`);
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      state: c.State.Status,
      graphDriver: { name: c.GraphDriver?.Name ?? '', data: (c.GraphDriver?.Data ?? {}) as Record<string, string> },
      logPath: c.LogPath ?? '',
      logConfig: {
        type: c.HostConfig?.LogConfig?.Type ?? '',
        config: ((c.HostConfig?.LogConfig as { Config?: Record<string, string> } | undefined)?.Config ?? {}),
      },
      image: c.Image,
      running: Boolean(c.State.Running || c.State.Paused || c.State.Restarting),
      ...(goTime(c.State.StartedAt) ? { startedAt: c.State.StartedAt } : {}),
      ...(goTime(c.State.FinishedAt) ? { finishedAt: c.State.FinishedAt } : {}),
      ports: publishedPorts(c.NetworkSettings?.Ports as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined),
    };
  }

  async containerEvents(sinceSec: number, untilSec: number): Promise<ContainerEvent[]> {
    // a finite window: the engine answers from its event buffer (the last 256 events) and closes the stream
    const text = await this.request<string>('GET', '/events', { since: String(sinceSec), until: String(untilSec), filters: { type: ['container'] } }, undefined, true);
    return text.split('\n').flatMap((line) => {
      if (!line.trim()) return [];
      try {
        const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; from?: string; timeNano?: number; time?: number };
        const image = e.Actor?.Attributes?.image ?? e.from;
        if (!e.Action || !e.Actor?.ID || !image) return [];
        return [{ action: e.Action, containerId: e.Actor.ID, image, timeMs: e.timeNano ? Math.floor(e.timeNano / 1e6) : Number(e.time ?? 0) * 1000 }];
      } catch {
        return [];
      }
    });
  }

  async createContainer(spec: ContainerSpec, timeoutMs?: number): Promise<string> {
    const hostConfig: Record<string, unknown> = {};
    if (spec.cgroupParent) hostConfig.CgroupParent = spec.cgroupParent;
    if (spec.networkMode) hostConfig.NetworkMode = spec.networkMode;
    if (spec.volumes?.length) {
      hostConfig.Mounts = spec.volumes.map((v) => ({
        Type: 'volume', Source: v.name, Target: v.target, ReadOnly: v.readOnly ?? false,
        VolumeOptions: { Labels: v.labels ?? {}, ...(v.driver ? { DriverConfig: { Name: v.driver, Options: v.options ?? {} } } : {}) },
      }));
    }
    if (spec.deviceWriteIops?.length) hostConfig.BlkioDeviceWriteIOps = spec.deviceWriteIops.map((d) => ({ Path: d.path, Rate: d.rate }));
    if (spec.publish?.length) {
      hostConfig.PortBindings = Object.fromEntries(spec.publish.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: p.hostIp, HostPort: '' }]]));
    }
    const created = await this.call(() => this.docker.createContainer({
      Image: spec.image,
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.name ? { name: spec.name } : {}),
      ...(spec.labels ? { Labels: spec.labels } : {}),
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      ...(spec.publish?.length ? { ExposedPorts: Object.fromEntries(spec.publish.map((p) => [`${p.containerPort}/tcp`, {}])) } : {}),
      Tty: spec.tty ?? false,
      AttachStdout: false,
      AttachStderr: false,
      HostConfig: hostConfig,
    }), timeoutMs);
    return created.id;
  }

  async startContainer(id: string, timeoutMs?: number): Promise<void> {
    await this.call(() => this.docker.getContainer(id).start(), timeoutMs);
  }

  async waitContainer(id: string, timeoutMs?: number): Promise<ContainerExit> {
    const r = (await this.call(() => this.docker.getContainer(id).wait(), timeoutMs)) as
      { StatusCode?: number; Error?: { Message?: string } | null };
    return { statusCode: Number(r.StatusCode ?? -1), error: r.Error?.Message || undefined };
  }

  async removeContainer(id: string, options: { force?: boolean; timeoutMs?: number; volumes?: boolean } = {}): Promise<void> {
    await this.request('DELETE', `/containers/${encodeURIComponent(id)}`, { force: options.force ?? false, v: options.volumes ?? true }, options.timeoutMs);
  }

  async listVolumes(): Promise<VolumeListEntry[]> {
    const answer = await this.request<{ Volumes?: Record<string, unknown>[] | null }>('GET', '/volumes');
    return (answer.Volumes ?? []).map(toVolumeEntry);
  }

  async removeVolume(name: string): Promise<void> {
    await this.request('DELETE', `/volumes/${encodeURIComponent(name)}`);
  }

  async listNetworks(): Promise<NetworkListEntry[]> {
    const list = await this.request<Record<string, unknown>[]>('GET', '/networks');
    return list.map((n) => {
      const name = String(n.Name ?? '');
      return {
        id: String(n.Id ?? ''), name, driver: String(n.Driver ?? ''), scope: String(n.Scope ?? ''),
        labels: (n.Labels ?? {}) as Record<string, string>,
        created: typeof n.Created === 'string' ? n.Created : undefined,
        predefined: ['bridge', 'host', 'none'].includes(name),
      };
    });
  }

  async removeNetwork(id: string): Promise<void> {
    await this.request('DELETE', `/networks/${encodeURIComponent(id)}`);
  }

  async attachContainer(id: string): Promise<NodeJS.ReadableStream> {
    return this.call(() => this.docker.getContainer(id).attach({ stream: true, stdout: true, stderr: true }) as Promise<NodeJS.ReadableStream>);
  }

  async imageHistory(nameOrId: string): Promise<ImageHistoryEntry[]> {
    const rows = await this.request<{ Id?: string; Created?: number; CreatedBy?: string; Size?: number }[]>('GET', `/images/${encodeURIComponent(nameOrId)}/history`);
    return rows.map((r) => ({ id: r.Id ?? '', created: Number(r.Created ?? 0), createdBy: r.CreatedBy ?? '', size: Number(r.Size ?? 0) }));
  }

  async removeImage(nameOrId: string, options: { force?: boolean } = {}): Promise<void> {
    await this.request('DELETE', `/images/${encodeURIComponent(nameOrId)}`, { force: options.force ?? false });
  }

  async removeBuildCache(id: string): Promise<{ removed: boolean; bytes: number }> {
    const out = (await this.request<Record<string, unknown> | undefined>('POST', '/build/prune',
      { all: true, filters: { id: [`^${id.replace(/[^A-Za-z0-9]/g, '')}$`] } })) ?? {};
    const deleted = Array.isArray(out.CachesDeleted) ? out.CachesDeleted : [];
    return { removed: deleted.length > 0, bytes: Number(out.SpaceReclaimed ?? 0) };
  }

  async buildImage(request: BuildRequest, onMessage: (message: Record<string, unknown>) => void, timeoutMs = 3_600_000): Promise<void> {
    const stream = await this.call(() => this.docker.buildImage(
      { context: request.contextDir, src: request.files ?? ['.'] },
      {
        t: request.tag,
        dockerfile: request.dockerfile,
        version: request.builder === 'buildkit' ? '2' : '1',
        ...(request.builder === 'buildkit' ? { buildid: `stowage-${process.pid}-${Date.now()}` } : {}),
        nocache: request.noCache ?? false,
        rm: true,
        forcerm: true,
        ...(request.networkMode ? { networkmode: request.networkMode } : {}),
        ...(request.buildArgs && Object.keys(request.buildArgs).length ? { buildargs: request.buildArgs } : {}),
        ...(request.target ? { target: request.target } : {}),
        ...(request.platform ? { platform: request.platform } : {}),
      } as Docker.ImageBuildOptions,
    ));
    const done = new Promise<void>((resolve, reject) => {
      let buffered = '';
      // an exception from the caller's handler ends the build with that error, not the process
      const deliver = (line: string) => {
        try {
          onMessage(parseMessage(line));
        } catch (err) {
          reject(err);
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        }
      };
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) deliver(line);
        }
      });
      stream.on('end', () => {
        if (buffered.trim()) deliver(buffered);
        resolve();
      });
      stream.on('error', reject);
    });
    await this.call(() => done, timeoutMs);
  }

  async saveImage(nameOrId: string): Promise<AsyncIterable<Buffer>> {
    // Only the response headers are awaited under the timeout; the body streams for as long as it takes.
    return this.call(() => this.docker.getImage(nameOrId).get() as Promise<NodeJS.ReadableStream>) as Promise<AsyncIterable<Buffer>>;
  }

  async loadImage(archive: AsyncIterable<Buffer>, timeoutMs = 3_600_000): Promise<string[]> {
    const messages = await this.upload('POST', '/images/load', { quiet: true }, archive, 'load the image', timeoutMs);
    return messages.flatMap((m) => {
      const loaded = /^Loaded image(?: ID)?: (\S+)/.exec(String(m.stream ?? '').trim());
      return loaded ? [loaded[1]!] : [];
    });
  }

  async tagImage(nameOrId: string, repo: string, tag: string): Promise<void> {
    await this.request('POST', `/images/${encodeURIComponent(nameOrId)}/tag`, { repo, tag });
  }

  async importImage(tar: AsyncIterable<Buffer>, options: { timeoutMs?: number; onSent?: () => void } = {}): Promise<string> {
    // a local engine reads the layer from a worker thread's writes (upload-thread.ts), whatever the main thread does meanwhile
    const messages = await this.upload('POST', '/images/create', { fromSrc: '-' }, tar, 'import the layer', options.timeoutMs ?? 3_600_000, options.onSent,
      this.target.socketPath ? threadUpload : engineUpload);
    const ids = messages.map((m) => String(m.status ?? '').trim()).filter((st) => /^sha256:[0-9a-f]{64}$/.test(st));
    const id = ids[ids.length - 1];
    if (!id) throw new EngineRequestError(500, 'engine did not report the imported image');
    return id;
  }

  async pushImage(reference: string, timeoutMs = 3_600_000): Promise<TransferResult> {
    // an empty X-Registry-Auth: a registry without auth (a local one) needs none, and the engine wants the header
    const messages = await this.call(async () => readMessages(
      (await this.docker.getImage(reference).push({ authconfig: {} })) as AsyncIterable<Buffer>, `push ${reference}`), timeoutMs);
    const aux = messages.map((m) => m.aux as { Digest?: string } | undefined).find((a) => a?.Digest);
    return transferResult(messages, aux?.Digest, /^(Pushed)$/, /^(Layer already exists|Mounted from .*)$/);
  }

  async pullImage(reference: string, timeoutMs = 3_600_000): Promise<TransferResult> {
    const messages = await this.call(async () => readMessages(
      (await this.docker.pull(reference)) as AsyncIterable<Buffer>, `pull ${reference}`), timeoutMs);
    const digest = messages.map((m) => /^Digest: (sha256:[0-9a-f]{64})/.exec(String(m.status ?? ''))?.[1]).find(Boolean);
    return transferResult(messages, digest, /^Pull complete$/, /^Already exists$/);
  }

  async saveImages(namesOrIds: string[]): Promise<AsyncIterable<Buffer>> {
    return this.call(() => (this.docker as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages({ names: namesOrIds })) as Promise<AsyncIterable<Buffer>>;
  }

  async inspectVolume(name: string): Promise<VolumeDetail> {
    const v = (await this.call(() => this.docker.getVolume(name).inspect())) as unknown as Record<string, unknown>;
    return {
      name: String(v.Name ?? name), driver: String(v.Driver ?? ''),
      labels: (v.Labels ?? {}) as Record<string, string>, options: (v.Options ?? {}) as Record<string, string>,
      mountpoint: String(v.Mountpoint ?? ''),
    };
  }

  async getArchive(containerId: string, path: string): Promise<AsyncIterable<Buffer>> {
    return this.call(() => this.docker.getContainer(containerId).getArchive({ path }) as Promise<NodeJS.ReadableStream>) as Promise<AsyncIterable<Buffer>>;
  }

  async putArchive(containerId: string, path: string, tar: AsyncIterable<Buffer>, timeoutMs = 3_600_000): Promise<void> {
    await this.upload('PUT', `/containers/${encodeURIComponent(containerId)}/archive`, { path }, tar, 'put the archive', timeoutMs);
  }

  /**
   * Streams `source` as the body of one request and returns the engine's JSON messages; an error message fails
   * the call. When the source itself fails (disk, bad input), that is the cause reported, not the broken upload.
   * A timeout stops the request.
   */
  private async upload(method: string, path: string, query: Query, source: AsyncIterable<Buffer>, what: string,
    timeoutMs: number, onSent?: () => void, send: typeof engineUpload = engineUpload): Promise<Record<string, unknown>[]> {
    let sourceError: unknown;
    async function* tracked(): AsyncGenerator<Buffer> {
      try {
        yield* source;
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    const abort = new AbortController();
    let text: string;
    try {
      text = await withTimeout(send(this.target, method, `/v${this.apiVersion}${path}`, query, tracked(), abort.signal, onSent), timeoutMs, this.endpoint);
    } catch (err) {
      abort.abort();
      if (sourceError !== undefined) throw sourceError;
      throw toEngineError(err, this.endpoint);
    }
    const messages = text.split('\n').filter((l) => l.trim()).map(parseMessage);
    for (const m of messages) {
      const error = (m.errorDetail as { message?: string } | undefined)?.message ?? m.error;
      if (error) throw new EngineRequestError(500, `engine could not ${what}: ${String(error)}`);
    }
    return messages;
  }

  async commitContainer(containerId: string, repo: string, tag: string, comment: string): Promise<string> {
    const r = (await this.call(() => this.docker.getContainer(containerId).commit({ repo, tag, comment, pause: false }), 600_000)) as { Id?: string };
    return String(r.Id ?? '');
  }
}

function toImageEntry(i: Docker.ImageInfo): ImageListEntry {
  return {
    id: i.Id,
    repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    size: i.Size,
    created: i.Created,
    labels: i.Labels ?? {},
    repoDigests: (i.RepoDigests ?? []).filter((d) => d !== '<none>@<none>'),
  };
}

function toContainerEntry(c: Docker.ContainerInfo): ContainerListEntry {
  return {
    id: c.Id,
    names: (c.Names ?? []).map((n) => n.replace(/^\//, '')),
    image: c.Image,
    imageId: c.ImageID,
    state: c.State,
    status: c.Status,
    created: c.Created,
    labels: c.Labels ?? {},
    mounts: (c.Mounts ?? []).map((m) => ({
      type: String(m.Type ?? ''), ...(m.Name ? { name: m.Name } : {}), source: String(m.Source ?? ''), destination: String(m.Destination ?? ''),
    })),
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
  };
}

function toVolumeEntry(v: Record<string, unknown>): VolumeListEntry {
  const name = String(v.Name ?? '');
  const labels = (v.Labels ?? {}) as Record<string, string>;
  return {
    name, driver: String(v.Driver ?? ''), labels,
    createdAt: typeof v.CreatedAt === 'string' ? v.CreatedAt : undefined,
    // 23.0+ labels the volumes it makes for a container; older engines name them with 64 hex digits
    anonymous: 'com.docker.volume.anonymous' in labels || /^[0-9a-f]{64}$/.test(name),
  };
}

/** An RFC 3339 time the engine set, not Go's zero time. */
function goTime(t: string | undefined): boolean {
  return Boolean(t && !t.startsWith('0001-'));
}

/** Reads a JSON progress stream to its end; an error message in it rejects with the engine's words. */
async function readMessages(stream: AsyncIterable<Buffer>, what: string): Promise<Record<string, unknown>[]> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString('utf8');
  const messages = text.split('\n').filter((l) => l.trim()).map(parseMessage);
  for (const m of messages) {
    const error = (m.errorDetail as { message?: string } | undefined)?.message ?? m.error;
    if (error) throw new EngineRequestError(500, `engine could not ${what}: ${String(error)}`);
  }
  return messages;
}

/** Counts per-layer final statuses (a layer's id is its short digest) of a push or pull stream. */
function transferResult(messages: Record<string, unknown>[], digest: string | undefined, sent: RegExp, skipped: RegExp): TransferResult {
  const final = new Map<string, string>();
  for (const m of messages) {
    const status = String(m.status ?? '');
    if (typeof m.id === 'string' && (sent.test(status) || skipped.test(status))) final.set(m.id, status);
  }
  const statuses = [...final.values()];
  return { digest, layersTransferred: statuses.filter((st) => sent.test(st)).length, layersSkipped: statuses.filter((st) => skipped.test(st)).length };
}

/** `NetworkSettings.Ports` as container port to the first host binding (TCP only). */
function publishedPorts(ports: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined): Record<number, { hostIp: string; hostPort: number }> {
  const out: Record<number, { hostIp: string; hostPort: number }> = {};
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const m = /^(\d+)\/tcp$/.exec(key);
    const b = bindings?.[0];
    if (m && b?.HostPort) out[Number(m[1])] = { hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) };
  }
  return out;
}

/** `Metadata.LastTagTime`, unless it is Go's zero time (never tagged). */
function lastTagTime(i: Docker.ImageInspectInfo): string | undefined {
  const t = (i as { Metadata?: { LastTagTime?: string } }).Metadata?.LastTagTime;
  return t && !t.startsWith('0001-') ? t : undefined;
}

/** One line of a JSON message stream; a line that is not JSON is kept as plain build output. */
function parseMessage(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { stream: line };
  }
}
