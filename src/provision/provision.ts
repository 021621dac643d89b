/**
 * `stowage provision` (issue 16): put Docker's data-root on a dedicated or ephemeral disk, safely. `planProvision`
 * reads the device and the host and returns every step it would take, or the refusals that stop it; nothing
 * changes. `applyProvision` applies the same plan step by step, re-checking the device before each write,
 * journaling so that a killed apply resumes, and leaving the old data-root and daemon.json untouched.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import { HostError, RefusedError, UsageError } from '../errors.js';
import { chainNames, probeDevice, type DeviceProbe } from '../host/block-probe.js';
import { identifyCloudVolume, describeCloudVolume } from '../host/cloud-volume.js';
import { diskAttributes } from '../host/block-device.js';
import { DAEMON_JSON, daemonJsonBackup, readDaemonConfig, setDaemonDataRoot } from '../host/daemon-config.js';
import { probeDtype } from '../host/dtype-probe.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { parseMountinfo } from '../host/mountinfo.js';
import { deviceForPath } from '../host/path-device.js';
import {
  commandLine, copyTreeCommand, mkfsCommand, mountCommand, partitionCommand, partitionRereadCommand, probeSignature,
  kernelHasXfsQuota, runInvocation, systemctlCommand, treeBytes, wipeCommand, type ProvisionFs,
} from '../host/provision-tools.js';
import { hostTools, type ToolInvocation, type ToolRunner } from '../host/tool-runner.js';
import { applyPlan, type ApplyResult } from '../plan/apply-plan.js';
import { storedImageIds } from '../engine/image-store.js';
import { makePlan, type Plan, type PlanAction } from '../plan/plan.js';
import { formatBytes } from '../units.js';
import { ephemeralUnitName, ephemeralUnitText, fstabLine, mountUnitName, mountUnitText, type MountSpec } from './boot-units.js';
import { DATA_LABEL, DATA_PARTITION_NAME, DOCKER_LABEL, DOCKER_PARTITION_NAME, deviceRefusals } from './device-refusals.js';

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
  /** The device to give Docker: /dev/NAME or a link under /dev/disk. */
  device: string;
  fs?: ProvisionFs;
  /** Split the disk: the first `sizeBytes` for Docker, the rest mounted on `mountPoint`. */
  split?: { sizeBytes: number; mountPoint: string };
  /** Install a boot unit that re-makes the filesystem when the disk comes back blank. */
  ephemeral?: boolean;
  /** Copy the current data-root (images, volumes, containers) onto the new disk. */
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
  /** Tests and library callers: /proc and /sys, and the runner for host tools. */
  hostFs?: HostFs;
  tools?: ToolRunner;
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
  device: {
    given: string;
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

interface Resolved {
  o: Required<Pick<ProvisionOptions, 'fs' | 'mountPoint' | 'daemonJson' | 'persist' | 'unitDir' | 'fstab' | 'minSizeBytes'>> & ProvisionOptions;
  probe: DeviceProbe;
  fs: HostFs;
  tools: ToolRunner;
  dataRoot: string;
  engine: EngineControl | undefined;
  engineKind: ProvisionReport['engine'];
  uuid: string;
  dataUuid: string;
  /** XFS project quota on the mount (the kernel has it). */
  quota: boolean;
}

function systemdRuns(fs: HostFs): boolean {
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
async function ownedByStowage(r: { probe: DeviceProbe; o: { fs: ProvisionFs; split?: ProvisionOptions['split'] }; tools: ToolRunner }, signal: AbortSignal): Promise<boolean> {
  if (r.o.split) {
    if (r.probe.blkid.PTTYPE !== 'gpt' || !r.probe.partitions.length) return false;
    const first = await probeSignature(partitionNode(r.probe.path, 1), { tools: r.tools, signal });
    return first.PART_ENTRY_NAME === DOCKER_PARTITION_NAME;
  }
  return r.probe.blkid.LABEL === DOCKER_LABEL && r.probe.blkid.TYPE === r.o.fs;
}

async function resolve(options: ProvisionOptions, context: CapabilityContext): Promise<Resolved> {
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
  } as Resolved['o'];
  for (const [name, path] of [['mountPoint', o.mountPoint], ['daemonJson', o.daemonJson], ['split mount point', o.split?.mountPoint]] as const) {
    if (path !== undefined && !path.startsWith('/')) throw new UsageError(`${name} must be an absolute path: ${path}`);
  }
  const engineOption = options.engine ?? (systemdRuns(fs) ? 'systemd' : 'none');
  const engine = engineOption === 'none' ? undefined : engineOption === 'systemd' ? systemdEngine(tools) : engineOption;
  const engineKind = typeof engineOption === 'string' ? engineOption : 'custom';
  if (o.ephemeral && o.split) {
    throw new UsageError('an ephemeral disk with a split is not supported yet: its boot unit would have to re-partition the disk', 'Give Docker the whole ephemeral disk, or split it without `ephemeral`.');
  }
  if (o.keepImages && !engine) {
    throw new UsageError('keeping the images needs the engine stopped while its data-root is copied', 'Let stowage stop and start it (`engine: systemd`), or move the data yourself.');
  }
  const probe = await probeDevice(options.device, { fs, tools: hostTools, signal: context.signal });
  const dataRoot = await currentDataRoot(options, context, fs);
  // a filesystem stowage made keeps its UUID (re-planning after an interruption names the same one)
  const uuid = probe.blkid.LABEL === DOCKER_LABEL && probe.blkid.UUID ? probe.blkid.UUID : randomUUID();
  const quota = o.fs === 'xfs' && kernelHasXfsQuota(fs);
  return { o, probe, fs, tools, dataRoot, engine, engineKind, uuid, dataUuid: randomUUID(), quota };
}

function step(action: PlanAction, commands: (ToolInvocation | string)[], undo: string): { action: PlanAction; step: ProvisionStep } {
  return { action, step: { id: action.id, commands: commands.map((c) => (typeof c === 'string' ? c : commandLine(c))), undo } };
}

function buildSteps(r: Resolved, dataBytes: number, refusedSignatures: boolean): { action: PlanAction; step: ProvisionStep }[] {
  const { o, probe } = r;
  const dev = probe.path;
  const out: { action: PlanAction; step: ProvisionStep }[] = [];
  const dockerDev = o.split ? partitionNode(dev, 1) : dev;
  const docker: MountSpec = { fs: o.fs, uuid: r.uuid, where: o.mountPoint, quota: r.quota };
  const forced = o.force !== undefined && (o.force === probe.given || o.force === probe.path) && probe.signatures.length > 0 && !refusedSignatures;
  if (forced) {
    out.push(step({ id: 'wipe', kind: 'wipe', target: dev, bytes: 0, reason: `--force names it: erase ${probe.signatures.map((s) => s.type).join(', ')}` },
      [wipeCommand(dev)], `wipefs saved each signature to $HOME/wipefs-${probe.name}-OFFSET.bak; put one back with dd if=FILE of=${dev} seek=OFFSET bs=1 conv=notrunc`));
  }
  if (o.split) {
    out.push(step({ id: 'partition', kind: 'partition', target: dev, bytes: 0, reason: `GPT: ${o.split.sizeBytes} bytes for Docker, the rest for ${o.split.mountPoint}` },
      [partitionCommand(dev, o.split.sizeBytes, [DOCKER_PARTITION_NAME, DATA_PARTITION_NAME]), partitionRereadCommand(dev)], `wipefs --all ${dev} (the partitions are new: nothing was on them)`));
  }
  out.push(step({ id: 'mkfs-docker', kind: 'mkfs', target: dockerDev, bytes: o.split ? o.split.sizeBytes : probe.sizeBytes,
    reason: o.fs === 'xfs' ? 'XFS with ftype=1 (d_type, which overlay2 needs), label stowage-dr' : 'ext4 with a journal and the filetype feature (d_type), label stowage-dr' },
  [mkfsCommand({ fs: o.fs, device: dockerDev, label: DOCKER_LABEL, uuid: r.uuid })], `wipefs --all ${dockerDev} (a new, empty filesystem)`));
  if (o.split) {
    const dataDev = partitionNode(dev, 2);
    out.push(step({ id: 'mkfs-data', kind: 'mkfs', target: dataDev, bytes: Math.max(0, probe.sizeBytes - o.split.sizeBytes), reason: `${o.fs} for ${o.split.mountPoint}, label ${DATA_LABEL}` },
      [mkfsCommand({ fs: o.fs, device: dataDev, label: DATA_LABEL, uuid: r.dataUuid })], `wipefs --all ${dataDev}`));
  }
  out.push(step({ id: 'mount-docker', kind: 'mount', target: o.mountPoint, bytes: 0, reason: `${dockerDev} with ${r.quota ? 'pquota (so that --storage-opt size= works)' : 'defaults'}` },
    [`mkdir -p ${o.mountPoint}`, mountCommand(o.fs, dockerDev, o.mountPoint, r.quota)], `umount ${o.mountPoint}`));
  if (o.split) {
    out.push(step({ id: 'mount-data', kind: 'mount', target: o.split.mountPoint, bytes: 0, reason: `${partitionNode(dev, 2)}` },
      [`mkdir -p ${o.split.mountPoint}`, mountCommand(o.fs, partitionNode(dev, 2), o.split.mountPoint, r.quota)], `umount ${o.split.mountPoint}`));
  }
  out.push(step({ id: 'verify-docker', kind: 'verify', target: o.mountPoint, bytes: 0, reason: `d_type recorded${r.quota ? ', project quota on' : ''}, as overlay2 needs` },
    [o.fs === 'xfs' ? `xfs_info ${o.mountPoint}` : `tune2fs -l ${dockerDev}`, 'mount options from /proc/self/mountinfo'], 'nothing to undo (read-only)'));
  const ephemeral = o.ephemeral ? ephemeralUnitName(o.mountPoint) : undefined;
  const mounts: MountSpec[] = [docker, ...(o.split ? [{ fs: o.fs, uuid: r.dataUuid, where: o.split.mountPoint, quota: r.quota }] : [])];
  for (const [i, m] of mounts.entries()) {
    const id = i === 0 ? 'persist-docker' : 'persist-data';
    if (o.persist === 'unit') {
      const path = join(o.unitDir, mountUnitName(m.where));
      out.push(step({ id, kind: 'write-file', target: path, bytes: 0, reason: `systemd mount unit by UUID ${m.uuid}, before docker.service` },
        [`write ${path}`, ...(systemdRuns(r.fs) ? [systemctlCommand('daemon-reload', []), systemctlCommand('enable', [mountUnitName(m.where)])] : [])],
        `systemctl disable ${mountUnitName(m.where)}; rm ${path}`));
    } else {
      out.push(step({ id, kind: 'write-file', target: o.fstab, bytes: 0, reason: `fstab line: ${fstabLine(m)}` },
        [`append to ${o.fstab}: ${fstabLine(m)}`], `remove the line naming UUID=${m.uuid} from ${o.fstab}`));
    }
  }
  if (ephemeral) {
    const path = join(o.unitDir, ephemeral);
    const name = r.probe.stableLinks[0] ?? dev;
    out.push(step({ id: 'ephemeral-unit', kind: 'write-file', target: path, bytes: 0, reason: `at boot, re-make the filesystem on ${name} when it comes back blank (same UUID), before the mount and docker.service` },
      [`write ${path}`, ...(systemdRuns(r.fs) ? [systemctlCommand('enable', [ephemeral])] : [])], `systemctl disable ${ephemeral}; rm ${path}`));
  }
  const switching = r.dataRoot !== o.mountPoint;
  if (r.engine && switching) {
    out.push(step({ id: 'stop-engine', kind: 'stop-engine', target: 'dockerd', bytes: 0, reason: 'the data-root changes; nothing may write to it while it moves' },
      [r.engine.describe.stop], r.engine.describe.start));
  }
  if (o.keepImages && switching) {
    // bytes stay out of the action (and so out of the plan's digest): a data-root that changed by a few bytes
    // between a killed apply and the next must not make its journal "another plan"
    out.push(step({ id: 'copy-data', kind: 'copy', target: o.mountPoint, bytes: 0, reason: `${formatBytes(dataBytes)} of images, containers and volumes from ${r.dataRoot} (hardlinks, xattrs, holes kept; the old copy stays)` },
      [copyTreeCommand(r.dataRoot, o.mountPoint)], `the old data-root ${r.dataRoot} is untouched: empty ${o.mountPoint} or leave it`));
  }
  if (switching) {
    out.push(step({ id: 'daemon-json', kind: 'write-file', target: o.daemonJson, bytes: 0, reason: `data-root ${r.dataRoot} -> ${o.mountPoint}; backup at ${daemonJsonBackup(o.daemonJson)}` },
      [...(existsSync(o.daemonJson) ? [`cp ${o.daemonJson} ${daemonJsonBackup(o.daemonJson)}`] : []), `write ${o.daemonJson} with "data-root": "${o.mountPoint}"`],
      existsSync(o.daemonJson) ? `mv ${daemonJsonBackup(o.daemonJson)} ${o.daemonJson}` : `rm ${o.daemonJson} (it did not exist before)`));
  }
  if (r.engine && switching) {
    out.push(step({ id: 'start-engine', kind: 'start-engine', target: 'dockerd', bytes: 0, reason: `on the new data-root ${o.mountPoint}` },
      [r.engine.describe.start], `${r.engine.describe.stop}, restore daemon.json, ${r.engine.describe.start}`));
    out.push(step({ id: 'verify-engine', kind: 'verify', target: 'dockerd', bytes: 0,
      reason: `Docker Root Dir is ${o.mountPoint}${o.keepImages ? `, every image of ${r.dataRoot} is listed, a container of a kept image starts` : ''}` },
    ['GET /info', ...(o.keepImages ? ['GET /images/json', 'POST /containers/create, /start, DELETE'] : [])], 'stowage provision rollback --yes (the old data-root is untouched)'));
  }
  return out;
}

interface Planned { r: Resolved; report: ProvisionReport }

async function makeReport(options: ProvisionOptions, context: CapabilityContext): Promise<Planned> {
  const r = await resolve(options, context);
  const { o, probe } = r;
  const owned = await ownedByStowage(r, context.signal);
  const rootChain = chainNames(deviceForPath(r.fs, '/').device);
  const dataRootChain = chainNames(deviceForPath(r.fs, r.dataRoot).device);
  const refusals = deviceRefusals(probe, {
    rootChain, dataRootChain, dataRoot: r.dataRoot, minSizeBytes: o.minSizeBytes, ownedByStowage: owned,
    ownMountPoints: [o.mountPoint, ...(o.split ? [o.split.mountPoint] : [])],
    ...(o.force === undefined ? {} : { force: o.force }),
  });
  if (o.ephemeral && !probe.stableLinks.length && probe.kind !== 'loop') {
    // the boot unit formats whatever blank disk has this name: a kernel name that moves between boots could be another disk
    refusals.push({ kind: 'unstable-name', target: probe.path, bytes: 0, reason: 'protected', detail: `no /dev/disk link names ${probe.path}, and a boot unit that formats a disk by its kernel name could format another disk after a reboot` });
  }
  if (o.split && o.split.sizeBytes >= probe.sizeBytes) {
    refusals.push({ kind: 'split-too-large', target: probe.path, bytes: probe.sizeBytes, reason: 'protected', detail: `the split's ${o.split.sizeBytes} bytes for Docker leave nothing of the ${probe.sizeBytes} for ${o.split.mountPoint}` });
  }
  const dataBytes = o.keepImages && r.dataRoot !== o.mountPoint ? await treeBytes(r.dataRoot, { tools: hostTools, signal: context.signal }) : 0;
  const built = buildSteps(r, dataBytes, refusals.some((x) => x.kind === 'signature'));
  const notes: string[] = [];
  if (!probe.stableLinks.length) notes.push(`${probe.path} has no link under /dev/disk (udev not running?): kernel names can change between boots; configuration names the filesystem by UUID instead`);
  if (o.fs === 'xfs' && !r.quota) notes.push('this kernel has no XFS quota support (no /proc/fs/xfs/xqm): mounted without pquota, so --storage-opt size= will not work');
  if (owned) notes.push(`${probe.path} already holds stowage's filesystem: steps already done are skipped at apply`);
  if (!r.engine && r.dataRoot !== o.mountPoint) notes.push(`the engine is not restarted (engine: none): restart dockerd after apply to use ${o.mountPoint}`);
  if (!r.engine) notes.push('without an engine restart nothing is verified on the engine side: after restarting it, check `docker info` (Docker Root Dir) and run a container');
  const disk = probe.kind === 'disk' ? identifyCloudVolume(diskAttributes(r.fs, probe.name)) : undefined;
  const report: ProvisionReport = {
    device: {
      given: probe.given, path: probe.path, stableName: probe.stableLinks[0] ?? probe.path, stableLinks: probe.stableLinks,
      kind: probe.kind, sizeBytes: probe.sizeBytes, ...(disk ? { cloud: describeCloudVolume(disk) } : {}),
      signatures: probe.signatures, probeErrors: probe.probeErrors, mounts: probe.mounts, holders: probe.holders, swaps: probe.swaps,
    },
    fs: o.fs,
    mountPoint: o.mountPoint,
    dataRoot: { current: r.dataRoot, next: o.mountPoint },
    persist: o.persist,
    engine: r.engineKind,
    plan: makePlan('provision', built.map((b) => b.action), refusals),
    steps: built.map((b) => b.step),
    notes,
  };
  return { r, report };
}

/** Plans provisioning: reads the device and the host, changes nothing. */
export async function planProvision(options: ProvisionOptions, context: CapabilityContext): Promise<ProvisionReport> {
  return (await makeReport(options, context)).report;
}

function mountedAt(fs: HostFs, where: string): { source: string; fsType: string; options: string } | undefined {
  const m = parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '').filter((e) => e.mountPoint === where).at(-1);
  return m ? { source: m.source, fsType: m.fsType, options: `${m.mountOptions},${m.superOptions}` } : undefined;
}

/** Applies the plan; refuses (before writing anything) when the plan has refusals. */
export async function applyProvision(options: ProvisionOptions, context: CapabilityContext): Promise<ProvisionReport> {
  const { r, report } = await makeReport(options, context);
  const { o } = r;
  if (report.plan.refusals.length) {
    throw new RefusedError(`${r.probe.path} is refused: ${report.plan.refusals.map((x) => x.detail).join('; ')}`, 'Nothing was written. See `stowage provision plan` for the evidence.');
  }
  const run = (c: ToolInvocation, timeoutMs?: number) => runInvocation(c, { tools: r.tools, signal: context.signal, ...(timeoutMs ? { timeoutMs } : {}) });
  const dev = r.probe.path;
  const devOf = (id: string) => (id.endsWith('-data') ? partitionNode(dev, 2) : o.split ? partitionNode(dev, 1) : dev);
  const uuidOf = async (device: string) => (await probeSignature(device, { tools: r.tools, signal: context.signal })).UUID;
  /** The device re-read now: the refusals that hold whatever the plan said (mounted, swap, holders, root). */
  const safeNow = async (): Promise<string | undefined> => {
    const again = await makeReport(options, context);
    const blocking = again.report.plan.refusals;
    if (blocking.length) throw new RefusedError(`${dev} is refused at apply time: ${blocking.map((x) => x.detail).join('; ')}`, 'Nothing more was written.');
    return undefined;
  };
  const ownFs = async (device: string, label: string) => {
    const sig = await probeSignature(device, { tools: r.tools, signal: context.signal });
    return sig.LABEL === label && sig.TYPE === o.fs ? sig : undefined;
  };
  const mountSpecOf = async (id: string): Promise<MountSpec> => {
    const device = devOf(id);
    const uuid = await uuidOf(device);
    if (!uuid) throw new HostError(`${device} has no filesystem UUID (blkid -p): was mkfs skipped?`);
    return { fs: o.fs, uuid, where: id.endsWith('-data') ? o.split!.mountPoint : o.mountPoint, quota: r.quota };
  };
  const unitContent = async (id: string) => {
    const spec = await mountSpecOf(id);
    return mountUnitText(spec, id === 'persist-docker' && o.ephemeral ? ephemeralUnitName(o.mountPoint) : undefined);
  };
  const fstabHas = (uuid: string) => (liveHostFs.readText(o.fstab) ?? '').split('\n').some((l) => l.startsWith(`UUID=${uuid} `));

  const recheck = async (action: PlanAction): Promise<string | undefined> => {
    switch (action.id) {
      case 'wipe':
      case 'partition':
        if (await ownedByStowage({ probe: (await makeReport(options, context)).r.probe, o, tools: r.tools }, context.signal)) return 'the device already holds stowage\'s partitions';
        return safeNow();
      case 'mkfs-docker':
      case 'mkfs-data': {
        const label = action.id === 'mkfs-docker' ? DOCKER_LABEL : DATA_LABEL;
        const own = await ownFs(action.target, label);
        if (own) return `already holds stowage's ${o.fs} filesystem (UUID ${own.UUID})`;
        if (!o.split) return safeNow();
        const sig = await probeSignature(action.target, { tools: r.tools, signal: context.signal });
        return sig.TYPE ? (() => { throw new RefusedError(`${action.target} holds ${sig.TYPE} that stowage did not make`); })() : undefined;
      }
      case 'mount-docker':
      case 'mount-data': {
        const m = mountedAt(r.fs, action.target);
        if (!m) return undefined;
        const uuid = await uuidOf(devOf(action.id));
        const src = await uuidOf(m.source);
        if (uuid && src === uuid) return `already mounted on ${action.target}`;
        throw new RefusedError(`${action.target} already has ${m.source} (${m.fsType}) mounted on it`, `Unmount it, or choose another mount point.`);
      }
      case 'persist-docker':
      case 'persist-data': {
        if (o.persist === 'unit') return liveHostFs.readText(action.target) === await unitContent(action.id) ? 'the unit is already written' : undefined;
        return fstabHas((await mountSpecOf(action.id)).uuid) ? 'the fstab line is already there' : undefined;
      }
      case 'ephemeral-unit': {
        const spec = await mountSpecOf('persist-docker');
        return liveHostFs.readText(action.target) === ephemeralUnitText(r.probe.stableLinks[0] ?? dev, spec, DOCKER_LABEL) ? 'the unit is already written' : undefined;
      }
      case 'daemon-json':
        return readDaemonConfig(r.fs, o.daemonJson).dataRoot === o.mountPoint ? `data-root is already ${o.mountPoint}` : undefined;
      default:
        return undefined;
    }
  };

  const perform = async (action: PlanAction, signal: AbortSignal): Promise<{ bytes?: number } | void> => {
    context.progress.update({ step: `${action.kind} ${action.target}` });
    switch (action.id) {
      case 'wipe':
        await run(wipeCommand(dev));
        return;
      case 'partition':
        await run(partitionCommand(dev, o.split!.sizeBytes, [DOCKER_PARTITION_NAME, DATA_PARTITION_NAME]));
        await run(partitionRereadCommand(dev));
        return;
      case 'mkfs-docker':
        await run(mkfsCommand({ fs: o.fs, device: action.target, label: DOCKER_LABEL, uuid: r.uuid }));
        return;
      case 'mkfs-data':
        await run(mkfsCommand({ fs: o.fs, device: action.target, label: DATA_LABEL, uuid: r.dataUuid }));
        return;
      case 'mount-docker':
      case 'mount-data':
        mkdirSync(action.target, { recursive: true });
        await run(mountCommand(o.fs, devOf(action.id), action.target, r.quota));
        return;
      case 'verify-docker':
        await verifyMount(r.fs, o.mountPoint, o.fs, r.quota);
        return;
      case 'persist-docker':
      case 'persist-data': {
        if (o.persist === 'unit') {
          mkdirSync(dirname(action.target), { recursive: true });
          await writeFileAtomic(action.target, await unitContent(action.id));
          if (systemdRuns(r.fs)) {
            await run(systemctlCommand('daemon-reload', []));
            await run(systemctlCommand('enable', [mountUnitName((await mountSpecOf(action.id)).where)]));
          }
        } else {
          const line = fstabLine(await mountSpecOf(action.id));
          const old = liveHostFs.readText(o.fstab) ?? '';
          mkdirSync(dirname(o.fstab), { recursive: true });
          await writeFileAtomic(o.fstab, `${old}${old && !old.endsWith('\n') ? '\n' : ''}${line}\n`, { keepMode: true });
        }
        return;
      }
      case 'ephemeral-unit': {
        mkdirSync(dirname(action.target), { recursive: true });
        await writeFileAtomic(action.target, ephemeralUnitText(r.probe.stableLinks[0] ?? dev, await mountSpecOf('persist-docker'), DOCKER_LABEL));
        if (systemdRuns(r.fs)) await run(systemctlCommand('enable', [ephemeralUnitName(o.mountPoint)]));
        return;
      }
      case 'stop-engine':
        await r.engine!.stop(signal);
        return;
      case 'copy-data':
        await run(copyTreeCommand(r.dataRoot, o.mountPoint), 24 * 3600_000);
        return { bytes: await treeBytes(o.mountPoint, { tools: r.tools, signal }) };
      case 'daemon-json':
        await setDaemonDataRoot(o.daemonJson, o.mountPoint);
        return;
      case 'start-engine':
        await r.engine!.start(signal);
        return;
      case 'verify-engine':
        await verifyEngine(context, o.mountPoint, o.keepImages ? await storedImageIds(r.dataRoot) : [], signal);
        return;
      default:
        throw new Error(`provision: no step "${action.id}"`);
    }
  };
  const journal = o.journal ?? join(dirname(o.daemonJson), `stowage-provision-${r.probe.name}.journal`);
  mkdirSync(dirname(journal), { recursive: true });
  const applied = await applyPlan(report.plan, { perform, recheck, stopOnFailure: true, signal: context.signal, journal, now: () => new Date(context.clock.now()) });
  context.progress.end();
  return { ...report, applied };
}

/**
 * The engine on the new data-root, as the user would check it: Docker Root Dir is the new mount, every image the
 * old data-root held is listed, and a container of a kept image starts (its layers mount on the new disk).
 */
async function verifyEngine(context: CapabilityContext, dataRoot: string, expected: readonly string[], signal: AbortSignal): Promise<void> {
  const engine = await context.engine();
  const info = await engine.info();
  if (info.dockerRootDir !== dataRoot) throw new HostError(`the engine's Docker Root Dir is ${info.dockerRootDir}, not ${dataRoot}`);
  if (!expected.length) return;
  const listed = new Set((await engine.listImages({ all: true })).map((i) => i.id));
  const missing = expected.filter((id) => !listed.has(id));
  if (missing.length) throw new HostError(`${missing.length} of ${expected.length} images of the old data-root are not listed on the new one (first: ${missing[0]})`);
  const failures: string[] = [];
  for (const id of expected.slice(0, 3)) {
    signal.throwIfAborted();
    let container: string | undefined;
    try {
      container = await engine.createContainer({ image: id, labels: { 'dev.stowage.provision': 'verify' }, networkMode: 'none' });
      await engine.startContainer(container);
      return;
    } catch (err) {
      failures.push(`${id.slice(7, 19)}: ${(err as Error).message}`);
    } finally {
      if (container) await engine.removeContainer(container, { force: true }).catch(() => undefined);
    }
  }
  throw new HostError(`no container of a kept image starts on the new data-root: ${failures.join('; ')}`);
}

/** The mounted filesystem as overlay2 needs it: d_type recorded, and on XFS project quota on. */
async function verifyMount(fs: HostFs, where: string, fsType: ProvisionFs, quota: boolean): Promise<void> {
  const entry = parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '').filter((e) => e.mountPoint === where).at(-1);
  if (!entry) throw new HostError(`${where} is not mounted`);
  if (entry.fsType !== fsType) throw new HostError(`${where} holds ${entry.fsType}, not ${fsType}`);
  const dtype = await probeDtype(entry);
  if (!dtype?.supported) throw new HostError(`${where}: no d_type (${dtype?.evidence ?? 'not probed'}): overlay2 cannot use it`);
  if (quota && !/(^|,)(prjquota|pquota)(,|$)/.test(`${entry.mountOptions},${entry.superOptions}`)) {
    throw new HostError(`${where} is mounted without project quota (${entry.superOptions}): --storage-opt size= will not work`);
  }
}
