/** The interface every capability uses to reach Docker; the only implementation is in dockerode-engine.ts. */
import type { Endpoint } from './endpoint.js';
import type { ContainerDetail, DiskUsage, EngineInfo, EngineVersion, ImageDetail } from './types.js';

export interface ImageListEntry {
  id: string;
  repoTags: string[];
  size: number;
  created: number;
}

export interface ContainerListEntry {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  state: string;
  status: string;
  created: number;
}

export interface EngineClient {
  readonly endpoint: Endpoint;
  /** The API version both sides agreed on, e.g. `1.41`. */
  readonly apiVersion: string;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  diskUsage(): Promise<DiskUsage>;
  listImages(options?: { all?: boolean; dangling?: boolean }): Promise<ImageListEntry[]>;
  inspectImage(nameOrId: string): Promise<ImageDetail>;
  listContainers(options?: { all?: boolean }): Promise<ContainerListEntry[]>;
  inspectContainer(id: string): Promise<ContainerDetail>;
}
