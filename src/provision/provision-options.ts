/**
 * What `stowage provision` (issue 16) is asked and what it reports, and the options resolved against the host:
 * the device probed, the current data-root, how the engine is stopped and started.
 */
import { randomUUID } from 'node:crypto';
import type { CapabilityContext } from '../context.js';
import { UsageError } from '../errors.js';
import { probeDevice, type DeviceProbe } from '../host/block-probe.js';
import { DAEMON_JSON, readDaemonConfig } from '../host/daemon-config.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { commandLine, probeSignature, kernelHasXfsQuota, runInvocation, systemctlCommand, type ProvisionFs } from '../host/provision-tools.js';
import { hostTools, type ToolRunner } from '../host/tool-runner.js';
import type { ApplyResult } from '../plan/apply-plan.js';
import type { Plan } from '../plan/plan.js';
import { SCHEMA_VERSION } from '../version.js';
import { DOCKER_LABEL, DOCKER_PARTITION_NAME } from './device-refusals.js';
import { AUTO_DEVICE, pickEphemeralDisks } from './auto-device.js';
import { hasMdadm, MDADM_CONF, mdMissing } from '../host/md-raid.js';
import type { StorageDriver } from './thinpool-plan.js';
import type { EphemeralDisk } from '../host/ephemeral-disks.js';
import { oldDriver, type OldDriver } from './driver-change.js';

export const DEFAULT_MOUNT_POINT = '/var/lib/docker-disk';
export const DEFAULT_MIN_SIZE = 1024 ** 3;

/** How the engine is stopped and started around the switch; `none` leaves it to the user. */
export interface EngineControl {
  stop(signal: AbortSignal): Promise<void>;
  start(signal: AbortSignal): Promise<void>;
  /** How the plan names it: `systemctl stop docker.socket docker.service`. */
  describe: { stop: string; start: string };
}

export interface ProvisionOptions {
  /** The device to give Docker: /dev/NAME, a link under /dev/disk, or `auto` (the cloud's one ephemeral disk). */
  device: string;
  /**
   * Several devices (the first is `device`): striped as one md RAID0 that becomes Docker's disk, as the EKS
   * node image does with its instance stores. `--device auto` fills it when it finds several of one kind.
   */
  devices?: string[];
  /**
   * The storage driver the disk is for: overlay2 (default), or the legacy devicemapper thin pool, which is
   * only planned (engines older than 25), never applied.
   */
  driver?: StorageDriver;
  fs?: ProvisionFs;
  /** Split the disk: the first `sizeBytes` for Docker, the rest mounted on `mountPoint`. */
  split?: { sizeBytes: number; mountPoint: string };
  /** Install a boot unit that re-makes the filesystem when the disk comes back blank. */
  ephemeral?: boolean;
  /** With `ephemeral`: a `stowage migrate` store on persistent disk whose images a boot unit imports after docker.service starts. */
  reseed?: string;
  /** The stowage CLI the re-seed unit runs (default: this one's bin/stowage). */
  stowageBin?: string;
  /**
   * Move the current data-root onto the new disk: a file copy (images, volumes, containers) when the driver
   * stays overlay2, else images and named volumes through a `stowage migrate` store (driver-change.ts).
   */
  keepImages?: boolean;
  /** The exact device whose existing signatures may be wiped. */
  force?: string;
  /** Where the new filesystem is mounted; it becomes the data-root. */
  mountPoint?: string;
  /** The current data-root; default: the engine's DockerRootDir, else daemon.json's. */
  dataRoot?: string;
  daemonJson?: string;
  /** `unit` (a systemd mount unit) or `fstab` (a line by UUID); default unit when systemd runs. */
  persist?: 'unit' | 'fstab';
  unitDir?: string;
  fstab?: string;
  /** `systemd` (default when systemd runs), `none` (the user restarts dockerd), or the caller's own control. */
  engine?: 'systemd' | 'none' | EngineControl;
  minSizeBytes?: number;
  /** Apply's journal; default beside daemon.json's backup, named for the device. */
  journal?: string;
  /** Where the RAID0's ARRAY line is kept (default /etc/stowage/mdadm.conf, not the initramfs's). */
  mdadmConf?: string;
  /** Tests and library callers: /proc and /sys, and the runner for host tools. */
  hostFs?: HostFs;
  tools?: ToolRunner;
  /** Tests: whether mdadm is installed (default: looked up on PATH). */
  hasMdadm?: () => boolean;
}

export interface ProvisionStep {
  /** The plan action's id. */
  id: string;
  /** The command lines (or file writes) it runs, in order. */
  commands: string[];
  /** How to undo it by hand. */
  undo: string;
}

export interface ProvisionReport {
  schemaVersion: typeof SCHEMA_VERSION;
  device: {
    given: string;
    /** Set when `--device auto` chose the device: what it is. */
    auto?: string;
    path: string;
    /** The name to use in configuration: a /dev/disk link when there is one, else the kernel's (unstable) name. */
    stableName: string;
    stableLinks: string[];
    kind: DeviceProbe['kind'];
    sizeBytes: number;
    cloud?: string;
    signatures: DeviceProbe['signatures'];
    /** What could not be read; the device is refused while it stays unknown. */
    probeErrors: string[];
    mounts: DeviceProbe['mounts'];
    holders: string[];
    swaps: string[];
  };
  /** With several devices: the md RAID0 striped over them, which Docker's filesystem goes on. */
  raid?: {
    device: string;
    level: 0;
    chunkKiB: number;
    /** Where its ARRAY line is kept. */
    config: string;
    /** n × the smallest member. */
    sizeBytes: number;
    members: { given: string; path: string; stableName: string; sizeBytes: number }[];
  };
  /** Set with `driver: devicemapper`: the plan is the LVM thin pool's, shown and never applied. */
  driver?: StorageDriver;
  fs: ProvisionFs;
  mountPoint: string;
  dataRoot: { current: string; next: string };
  persist: 'unit' | 'fstab';
  engine: 'systemd' | 'none' | 'custom';
  plan: Plan;
  steps: ProvisionStep[];
  notes: string[];
  applied?: ApplyResult;
}

/** `/dev/sdb` -> `/dev/sdb1`; `/dev/nvme0n1`, `/dev/loop3` -> `…p1`. */
export function partitionNode(device: string, n: number): string {
  return /\d$/.test(device) ? `${device}p${n}` : `${device}${n}`;
}

export interface Resolved {
  o: Required<Pick<ProvisionOptions, 'fs' | 'mountPoint' | 'daemonJson' | 'persist' | 'unitDir' | 'fstab' | 'minSizeBytes' | 'mdadmConf'>> & ProvisionOptions;
  probe: DeviceProbe;
  /** What `--device auto` chose (the first of several striped). */
  auto: EphemeralDisk | undefined;
  /** With several devices: each one probed (the first is `probe`), striped as one RAID0; empty otherwise. */
  members: DeviceProbe[];
  /** With several devices: why this host cannot build the RAID0 (no md driver, no mdadm); empty when it can. */
  mdMissing: string[];
  fs: HostFs;
  tools: ToolRunner;
  dataRoot: string;
  engine: EngineControl | undefined;
  engineKind: ProvisionReport['engine'];
  uuid: string;
  dataUuid: string;
  /** XFS project quota on the mount (the kernel has it). */
  quota: boolean;
  /** With --keep-images and a new data-root: the driver the old one was written by, when it can be found. */
  oldDriver?: OldDriver | undefined;
}

export function systemdRuns(fs: HostFs): boolean {
  return fs.listDir('/run/systemd/system').length > 0;
}

function systemdEngine(tools: ToolRunner): EngineControl {
  const stop = systemctlCommand('stop', ['docker.socket', 'docker.service']);
  const start = systemctlCommand('start', ['docker.service']);
  return {
    stop: async (signal) => { await runInvocation(stop, { tools, signal, timeoutMs: 120_000 }); },
    start: async (signal) => { await runInvocation(start, { tools, signal, timeoutMs: 120_000 }); },
    describe: { stop: commandLine(stop), start: commandLine(start) },
  };
}

/** The engine's systemd units: `systemctl stop docker.socket docker.service`, `systemctl start docker.service`. */
export function systemdEngineControl(tools: ToolRunner = hostTools): EngineControl {
  return systemdEngine(tools);
}

async function currentDataRoot(options: ProvisionOptions, context: CapabilityContext, fs: HostFs): Promise<string> {
  if (options.dataRoot) return options.dataRoot;
  try {
    return (await (await context.engine()).info()).dockerRootDir;
  } catch {
    return readDaemonConfig(fs, options.daemonJson ?? DAEMON_JSON).dataRoot;
  }
}

/** Whether the device already holds stowage's provisioning (its label, or for a split its partition names). */
export async function ownedByStowage(r: { probe: DeviceProbe; o: { fs: ProvisionFs; split?: ProvisionOptions['split'] }; tools: ToolRunner }, signal: AbortSignal): Promise<boolean> {
  if (r.o.split) {
    if (r.probe.blkid.PTTYPE !== 'gpt' || !r.probe.partitions.length) return false;
    const first = await probeSignature(partitionNode(r.probe.path, 1), { tools: r.tools, signal });
    return first.PART_ENTRY_NAME === DOCKER_PARTITION_NAME;
  }
  return r.probe.blkid.LABEL === DOCKER_LABEL && r.probe.blkid.TYPE === r.o.fs;
}

export async function resolve(options: ProvisionOptions, context: CapabilityContext): Promise<Resolved> {
  const fs = options.hostFs ?? liveHostFs;
  const tools = options.tools ?? hostTools;
  if (options.fs !== undefined && options.fs !== 'xfs' && options.fs !== 'ext4') throw new UsageError(`fs must be xfs or ext4, not ${String(options.fs)}`);
  const o = {
    ...options,
    fs: options.fs ?? 'xfs',
    mountPoint: options.mountPoint ?? DEFAULT_MOUNT_POINT,
    daemonJson: options.daemonJson ?? DAEMON_JSON,
    persist: options.persist ?? (systemdRuns(fs) ? 'unit' : 'fstab'),
    unitDir: options.unitDir ?? '/etc/systemd/system',
    fstab: options.fstab ?? '/etc/fstab',
    minSizeBytes: options.minSizeBytes ?? DEFAULT_MIN_SIZE,
    mdadmConf: options.mdadmConf ?? MDADM_CONF,
  } as Resolved['o'];
  for (const [name, path] of [['mountPoint', o.mountPoint], ['daemonJson', o.daemonJson], ['split mount point', o.split?.mountPoint]] as const) {
    if (path !== undefined && !path.startsWith('/')) throw new UsageError(`${name} must be an absolute path: ${path}`);
  }
  const engineOption = options.engine ?? (systemdRuns(fs) ? 'systemd' : 'none');
  const engine = engineOption === 'none' ? undefined : engineOption === 'systemd' ? systemdEngine(tools) : engineOption;
  const engineKind = typeof engineOption === 'string' ? engineOption : 'custom';
  if (o.reseed !== undefined && (!o.ephemeral || !o.reseed.startsWith('/'))) throw new UsageError('--reseed DIR takes an absolute path and goes with --ephemeral', 'A disk that keeps its data at reboot needs no re-seeding.');
  if (o.driver !== undefined && o.driver !== 'overlay2' && o.driver !== 'devicemapper') throw new UsageError(`driver must be overlay2 or devicemapper, not ${String(o.driver)}`);
  if (o.driver === 'devicemapper' && (o.split || o.ephemeral || o.keepImages || (options.devices?.length ?? 0) > 1)) {
    throw new UsageError('the devicemapper thin-pool plan takes one whole device, without --split, --ephemeral, --keep-images or several devices', 'Prefer overlay2 (drop --driver).');
  }
  if (o.keepImages && !engine) {
    throw new UsageError('keeping the images needs the engine stopped while its data-root is copied', 'Let stowage stop and start it (`engine: systemd`), or move the data yourself.');
  }
  const autoDisks = options.device === AUTO_DEVICE ? pickEphemeralDisks(fs) : undefined;
  const auto = autoDisks?.[0];
  const given = autoDisks ? autoDisks.map((d) => d.path) : [...new Set([options.device, ...(options.devices ?? []).filter((d) => d !== options.device)])];
  if (given.length > 1 && o.split) throw new UsageError('a split of a striped RAID0 is not supported: give Docker the whole array', 'Drop --split, or name one device.');
  const probes = [];
  for (const d of given) probes.push(await probeDevice(d, { fs, tools: hostTools, signal: context.signal }));
  if (new Set(probes.map((p) => p.path)).size !== probes.length) throw new UsageError(`the same device is named twice: ${given.join(', ')}`);
  const probe = probes[0]!;
  const members = probes.length > 1 ? probes : [];
  const missing = members.length ? mdMissing(fs, (options.hasMdadm ?? hasMdadm)()) : [];
  const dataRoot = await currentDataRoot(options, context, fs);
  // a filesystem stowage made keeps its UUID (re-planning after an interruption names the same one)
  const uuid = probe.blkid.LABEL === DOCKER_LABEL && probe.blkid.UUID ? probe.blkid.UUID : randomUUID();
  const quota = o.fs === 'xfs' && kernelHasXfsQuota(fs);
  const driver = o.keepImages && dataRoot !== o.mountPoint ? await oldDriver(context, dataRoot, fs, o.daemonJson) : undefined;
  return { o, probe, auto, members, mdMissing: missing, fs, tools, dataRoot, engine, engineKind, uuid, dataUuid: randomUUID(), quota, oldDriver: driver };
}
