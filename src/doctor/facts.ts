/** What doctor measured, before any judgement: the checks turn these facts into findings. */
import type { EngineFailure } from '../errors.js';
import type { ContainerListEntry } from '../engine/engine-client.js';
import type { DiskUsage, EngineInfo, EngineVersion } from '../engine/types.js';
import type { DeviceNode, DiskAttributes } from '../host/block-device.js';
import type { DaemonConfig } from '../host/daemon-config.js';
import type { IoRates } from '../measure/io-rates.js';
import type { DtypeProbe } from '../host/dtype-probe.js';
import type { JournalState } from '../host/ext4-journal.js';
import type { SpaceInfo, TreeSize } from '../host/filesystem.js';
import type { MountEntry } from '../host/mountinfo.js';
import type { OverlayModule } from '../host/overlay-module.js';
import type { SyncWriteResult } from '../host/sync-write-probe.js';
import type { BlockedTask } from '../host/tasks.js';
import type { Virtualisation } from '../host/virtualisation.js';
import type { ImageSpaceRow } from './image-space.js';

export const CHECK_GROUPS = ['engine', 'disk', 'io', 'space', 'clutter', 'images'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

export type EngineFacts =
  | { reachable: true; endpoint: string; apiVersion: string; version: EngineVersion; info: EngineInfo }
  | { reachable: false; endpoint: string; failure: EngineFailure; message: string; hint: string };

export interface DiskFacts {
  mount: MountEntry | undefined;
  device: DeviceNode | undefined;
  disks: DiskAttributes[];
  space: SpaceInfo | undefined;
  /** Whether the filesystem records d_type, from its own tools; undefined when not probed. */
  dtype: DtypeProbe | undefined;
  /** True when data-root shares its filesystem with `/`. */
  sharesRootFs: boolean;
  /** The overlay module's metacopy and redirect_dir defaults. */
  overlayModule: OverlayModule;
  /** ext3/ext4 only: whether the filesystem runs with a journal. */
  journal?: JournalState;
}

export interface IoFacts {
  windowMs: number;
  /** Rates of the devices in data-root's chain. */
  rates: IoRates[];
  /** Rates of every whole block device of the host (/sys/block) that did I/O in the window, busiest first. */
  devices?: IoRates[];
  iowaitPercent: number | undefined;
  /** Tasks in D state in both samples of the window: stuck, not passing. */
  stuckTasks: BlockedTask[];
  blockedNow: number;
  syncWrite: SyncWriteResult | undefined;
  syncWriteError: string | undefined;
}

export interface ImageDepth {
  id: string;
  tags: string[];
  layers: number;
}

/** One container's log on the engine's host. */
export interface ContainerLog {
  id: string;
  name: string;
  state: string;
  /** The log driver: `json-file`, `local`, `journald`… */
  driver: string;
  /** `max-size` and `max-file` as configured (daemon defaults merged in at create); undefined when unset. */
  maxSize: string | undefined;
  maxFile: string | undefined;
  /** False when nothing caps the log: json-file without max-size, or max-size -1. */
  bounded: boolean;
  /** The file on the host, for json-file and local; undefined for drivers that keep no local file. */
  path: string | undefined;
  /** Bytes of the log and its rotated files; 0 when the driver keeps none here or the file is gone. */
  bytes: number;
}

export interface LogFacts {
  /** The daemon's default log driver (`docker info`). */
  defaultDriver: string | undefined;
  /** `log-opts` from daemon.json; undefined when not set there. */
  defaultOpts: Record<string, string> | undefined;
  containers: ContainerLog[];
  totalBytes: number;
  unboundedBytes: number;
}

export interface OrphanFacts {
  directories: string[];
  size: TreeSize;
}

export interface DoctorFacts {
  engine: EngineFacts;
  daemonConfig: DaemonConfig;
  dataRoot: string;
  /** `unknown` for a remote engine that did not answer: this host's daemon.json is not its (dataRoot is then ''). */
  dataRootSource: 'engine' | 'daemon.json' | 'default' | 'unknown';
  disk?: DiskFacts;
  io?: IoFacts;
  usage?: DiskUsage;
  containers?: ContainerListEntry[];
  imageDepths?: ImageDepth[];
  orphans?: OrphanFacts;
  /** Per image: size, shared and unique bytes, containers (`docker system df -v`). */
  imageSpace?: ImageSpaceRow[];
  /** Container logs and their limits; read when the engine is local, since sizes come from the host. */
  logs?: LogFacts;
  /** Whether this host is a VM; read with the I/O checks, as context for slow I/O. */
  virtualisation?: Virtualisation;
  /** Checks that could not run, with the reason. */
  skipped: { group: CheckGroup; reason: string }[];
}
