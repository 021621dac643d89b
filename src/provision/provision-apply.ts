/**
 * `applyProvision` applies the plan step by step, re-checking the device before each write, journaling so that
 * a killed apply resumes, and leaving the old data-root and daemon.json untouched until the new one is verified.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import type { CapabilityContext } from '../context.js';
import { HostError, RefusedError } from '../errors.js';
import { readDaemonConfig, setDaemonDataRoot } from '../host/daemon-config.js';
import { probeDtype } from '../host/dtype-probe.js';
import { liveHostFs, type HostFs } from '../host/host-fs.js';
import { parseMountinfo } from '../host/mountinfo.js';
import { mkfsCommand, mountCommand, partitionCommand, partitionRereadCommand, probeSignature, runInvocation, systemctlCommand, treeBytes, wipeCommand, type ProvisionFs } from '../host/provision-tools.js';
import { copyTree } from '../host/tree-copy.js';
import type { ToolInvocation } from '../host/tool-runner.js';
import { applyPlan } from '../plan/apply-plan.js';
import { storedDrivers, storedImageIds } from '../engine/image-store.js';
import type { PlanAction } from '../plan/plan.js';
import { reseedUnitName, reseedUnitText, ephemeralSplitUnitText, ephemeralUnitName, ephemeralUnitText, fstabLine, mountUnitName, mountUnitText, type MountSpec } from './boot-units.js';
import { DATA_LABEL, DATA_PARTITION_NAME, DOCKER_LABEL, DOCKER_PARTITION_NAME } from './device-refusals.js';
import { partitionNode, systemdRuns, ownedByStowage, type ProvisionOptions, type ProvisionReport } from './provision-options.js';
import { makeReport } from './provision-plan.js';
import { driverChange, stowageBin } from './provision-steps.js';
import { exportStore, importStore, migrateStoreDir, NEW_DRIVER, removeStore, storeImageIds, verifyStore } from './driver-change.js';
import { MD_DEVICE, raidCreateCommand, raidScanCommand } from '../host/md-raid.js';
import { memberNames, raidUnitName, raidUnitText } from './raid-plan.js';
import { PREFER_OVERLAY2 } from './thinpool-plan.js';

function mountedAt(fs: HostFs, where: string): { source: string; fsType: string; options: string } | undefined {
  const m = parseMountinfo(fs.readText('/proc/self/mountinfo') ?? '').filter((e) => e.mountPoint === where).at(-1);
  return m ? { source: m.source, fsType: m.fsType, options: `${m.mountOptions},${m.superOptions}` } : undefined;
}

/** Applies the plan; refuses (before writing anything) when the plan has refusals. */
export async function applyProvision(options: ProvisionOptions, context: CapabilityContext): Promise<ProvisionReport> {
  if (options.driver === 'devicemapper') {
    throw new RefusedError('the devicemapper thin pool is shown as a plan only: apply refuses it', `Nothing was written. ${PREFER_OVERLAY2}.`);
  }
  const { r, report } = await makeReport(options, context);
  const { o } = r;
  if (report.plan.refusals.length) {
    throw new RefusedError(`${r.members.length ? r.members.map((m) => m.path).join(' + ') : r.probe.path} is refused: ${report.plan.refusals.map((x) => x.detail).join('; ')}`, 'Nothing was written. See `stowage provision plan` for the evidence.');
  }
  const run = (c: ToolInvocation, timeoutMs?: number) => runInvocation(c, { tools: r.tools, signal: context.signal, ...(timeoutMs ? { timeoutMs } : {}) });
  const dev = r.probe.path;
  const raid = r.members.length > 1;
  const devOf = (id: string) => (id.endsWith('-data') ? partitionNode(dev, 2) : raid ? MD_DEVICE : o.split ? partitionNode(dev, 1) : dev);
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
    const before = raid ? raidUnitName(o.mountPoint) : o.ephemeral ? ephemeralUnitName(o.mountPoint) : undefined;
    return mountUnitText(spec, id === 'persist-docker' || (o.split && o.ephemeral) ? before : undefined);
  };
  /** The ephemeral disk's boot unit: re-make the filesystem, or with a split the partitions and both filesystems. */
  const ephemeralContent = async () => {
    const name = r.probe.stableLinks[0] ?? dev;
    const docker = await mountSpecOf('persist-docker');
    if (!o.split) return ephemeralUnitText(name, docker, DOCKER_LABEL);
    return ephemeralSplitUnitText(name, docker, await mountSpecOf('persist-data'), o.split.sizeBytes, { docker: DOCKER_LABEL, data: DATA_LABEL }, [DOCKER_PARTITION_NAME, DATA_PARTITION_NAME]);
  };
  const reseedContent = () => reseedUnitText(stowageBin(o), o.reseed!, raid ? raidUnitName(o.mountPoint) : ephemeralUnitName(o.mountPoint));
  const raidUnitContent = async () => raidUnitText(memberNames(r), o.mdadmConf, { fs: o.fs, uuid: (await mountSpecOf('persist-docker')).uuid, where: o.mountPoint, label: DOCKER_LABEL }, o.ephemeral ?? false);
  const migrate = driverChange(r) !== undefined;
  const store = migrateStoreDir(o.mountPoint);
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
        if (!o.split && !raid) return safeNow();
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
        return liveHostFs.readText(action.target) === await ephemeralContent() ? 'the unit is already written' : undefined;
      }
      case 'reseed-unit':
        return liveHostFs.readText(action.target) === reseedContent() ? 'the unit is already written' : undefined;
      case 'raid-create':
        return existsSync(MD_DEVICE) ? `${MD_DEVICE} exists` : safeNow();
      case 'raid-config':
        return (liveHostFs.readText(o.mdadmConf) ?? '').includes(` ${MD_DEVICE} `) ? `${o.mdadmConf} already names ${MD_DEVICE}` : undefined;
      case 'raid-unit':
        return liveHostFs.readText(action.target) === await raidUnitContent() ? 'the unit is already written' : undefined;
      case 'daemon-json': {
        const config = readDaemonConfig(r.fs, o.daemonJson);
        const driverDone = !migrate || config.storageDriver === undefined || config.storageDriver === NEW_DRIVER;
        return config.dataRoot === o.mountPoint && driverDone ? `data-root is already ${o.mountPoint}` : undefined;
      }
      case 'remove-store':
        return existsSync(store) ? undefined : 'the store is already removed';
      default:
        return undefined;
    }
  };

  const perform = async (action: PlanAction, signal: AbortSignal): Promise<{ bytes?: number } | void> => {
    context.progress.update({ step: `${action.kind} ${action.target}` });
    if (action.id.startsWith('wipe-')) {
      await run(wipeCommand(action.target));
      return;
    }
    switch (action.id) {
      case 'raid-create':
        await run(raidCreateCommand(memberNames(r)));
        return;
      case 'raid-config': {
        const line = (await run(raidScanCommand())).trim();
        const old = liveHostFs.readText(o.mdadmConf) ?? '';
        mkdirSync(dirname(o.mdadmConf), { recursive: true });
        await writeFileAtomic(o.mdadmConf, `${old}${old && !old.endsWith('\n') ? '\n' : ''}${line}\n`);
        return;
      }
      case 'reseed-unit':
        mkdirSync(dirname(action.target), { recursive: true });
        await writeFileAtomic(action.target, reseedContent());
        if (systemdRuns(r.fs)) await run(systemctlCommand('enable', [reseedUnitName(o.mountPoint)]));
        return;
      case 'raid-unit':
        mkdirSync(dirname(action.target), { recursive: true });
        await writeFileAtomic(action.target, await raidUnitContent());
        if (systemdRuns(r.fs)) await run(systemctlCommand('enable', [raidUnitName(o.mountPoint)]));
        return;
      case 'wipe':
        await run(wipeCommand(dev));
        return;
      case 'partition':
        await run(partitionCommand(dev, o.split!.sizeBytes, [DOCKER_PARTITION_NAME, DATA_PARTITION_NAME]));
        await run(partitionRereadCommand(dev));
        return;
      case 'mkfs-docker':
        await run(mkfsCommand({ fs: o.fs, device: action.target, label: DOCKER_LABEL, uuid: r.uuid, ...(raid ? { striped: true } : {}) }));
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
        await writeFileAtomic(action.target, await ephemeralContent());
        if (systemdRuns(r.fs)) await run(systemctlCommand('enable', [ephemeralUnitName(o.mountPoint)]));
        return;
      }
      case 'stop-engine':
        await r.engine!.stop(signal);
        return;
      case 'copy-data':
        await copyTree(r.dataRoot, o.mountPoint, { tools: r.tools, signal });
        return { bytes: await treeBytes(o.mountPoint, { tools: r.tools, signal }) };
      case 'daemon-json':
        await setDaemonDataRoot(o.daemonJson, o.mountPoint, migrate ? NEW_DRIVER : undefined);
        return;
      case 'migrate-export':
        return { bytes: await exportStore(store, o.mountPoint, context) };
      case 'migrate-import':
        return { bytes: await importStore(store, o.mountPoint, context) };
      case 'migrate-verify':
        await verifyStore(store, context);
        return;
      case 'remove-store':
        await removeStore(store);
        return;
      case 'start-engine':
        await r.engine!.start(signal);
        return;
      case 'verify-engine':
        await verifyEngine(context, o.mountPoint, signal, migrate
          ? { driver: NEW_DRIVER, ids: async () => storeImageIds(store) }
          : o.keepImages ? { driver: r.oldDriver?.name, ids: (running) => copiedImageIds(r.dataRoot, running) } : undefined);
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
 * The engine on the new data-root, as the user would check it: Docker Root Dir is the new mount, the driver is
 * the one expected, every image the old data-root held (or, after a driver change, the migrate store holds) is
 * listed, and a container of a kept image starts (its layers mount on the new disk). `expected.ids` gets the
 * driver the engine runs, since the image IDs to look for are those of that driver's store.
 */
async function verifyEngine(context: CapabilityContext, dataRoot: string, signal: AbortSignal,
  expected: { driver: string | undefined; ids: (running: string) => Promise<string[]> } | undefined): Promise<void> {
  const engine = await context.engine();
  const info = await engine.info();
  if (info.dockerRootDir !== dataRoot) throw new HostError(`the engine's Docker Root Dir is ${info.dockerRootDir}, not ${dataRoot}`);
  if (!expected) return;
  if (expected.driver && info.storageDriver !== expected.driver) {
    throw new HostError(`the engine runs the ${info.storageDriver} driver on the new data-root, not ${expected.driver}: the images are not visible to it`);
  }
  const ids = await expected.ids(info.storageDriver);
  if (!ids.length) return;
  const listed = new Set((await engine.listImages({ all: true })).map((i) => i.id));
  const missing = ids.filter((id) => !listed.has(id));
  if (missing.length) throw new HostError(`${missing.length} of ${ids.length} images of the old data-root are not listed on the new one (first: ${missing[0]})`);
  const failures: string[] = [];
  for (const id of ids.slice(0, 3)) {
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

/**
 * The image IDs a copied data-root must show to an engine running `running`: those of that driver's image store.
 * Images kept only in another driver's store are invisible to it, so they are an error, not "nothing to check".
 */
async function copiedImageIds(dataRoot: string, running: string): Promise<string[]> {
  const ids = await storedImageIds(dataRoot, running);
  const elsewhere = [];
  for (const driver of storedDrivers(dataRoot).filter((d) => d !== running)) {
    const other = await storedImageIds(dataRoot, driver);
    if (other.length) elsewhere.push(`${other.length} in the ${driver} image store`);
  }
  if (!ids.length && elsewhere.length) {
    throw new HostError(`the engine runs ${running} on the new data-root, but ${dataRoot} keeps its images elsewhere (${elsewhere.join(', ')}): none of them is visible`,
      'Run `stowage provision rollback --yes`, then set "storage-driver" in daemon.json to the driver that wrote them and plan again (a driver change goes through a migrate store).');
  }
  return ids;
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
