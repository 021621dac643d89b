/**
 * `planProvision` reads the device and the host and returns every step provisioning would take, or the refusals
 * that stop it; nothing changes.
 */
import type { CapabilityContext } from '../context.js';
import { chainNames } from '../host/block-probe.js';
import { identifyCloudVolume, describeCloudVolume } from '../host/cloud-volume.js';
import { diskAttributes } from '../host/block-device.js';
import { deviceForPath } from '../host/path-device.js';
import { readDaemonConfig } from '../host/daemon-config.js';
import { treeBytes } from '../host/provision-tools.js';
import { hostTools } from '../host/tool-runner.js';
import { makePlan } from '../plan/plan.js';
import { SCHEMA_VERSION } from '../version.js';
import { deviceRefusals } from './device-refusals.js';
import { ownedByStowage, resolve, type ProvisionOptions, type ProvisionReport, type Resolved } from './provision-options.js';
import { buildSteps, driverChange } from './provision-steps.js';
import { AUTO_DEVICE } from './auto-device.js';
import { raidOf, raidRefusals } from './raid-plan.js';
import { PREFER_OVERLAY2, thinPoolRefusals, thinPoolSteps } from './thinpool-plan.js';

export interface Planned { r: Resolved; report: ProvisionReport }

export async function makeReport(options: ProvisionOptions, context: CapabilityContext): Promise<Planned> {
  const r = await resolve(options, context);
  const { o, probe } = r;
  const owned = await ownedByStowage(r, context.signal);
  const rootChain = chainNames(deviceForPath(r.fs, '/').device);
  const dataRootChain = chainNames(deviceForPath(r.fs, r.dataRoot).device);
  const refusals = (r.members.length ? r.members : [probe]).flatMap((p) => deviceRefusals(p, {
    rootChain, dataRootChain, dataRoot: r.dataRoot, minSizeBytes: o.minSizeBytes, ownedByStowage: owned,
    ownMountPoints: [o.mountPoint, ...(o.split ? [o.split.mountPoint] : [])],
    ...(o.force === undefined ? {} : { force: o.force }),
  }));
  for (const p of r.members.length ? r.members : [probe]) {
    if (o.ephemeral && !p.stableLinks.length && p.kind !== 'loop') {
      // the boot unit formats whatever blank disk has this name: a kernel name that moves between boots could be another disk
      refusals.push({ kind: 'unstable-name', target: p.path, bytes: 0, reason: 'protected', detail: `no /dev/disk link names ${p.path}, and a boot unit that formats a disk by its kernel name could format another disk after a reboot` });
    }
  }
  refusals.push(...raidRefusals(r));
  if (o.split && o.split.sizeBytes >= probe.sizeBytes) {
    refusals.push({ kind: 'split-too-large', target: probe.path, bytes: probe.sizeBytes, reason: 'protected', detail: `the split's ${o.split.sizeBytes} bytes for Docker leave nothing of the ${probe.sizeBytes} for ${o.split.mountPoint}` });
  }
  // a move through a migrate store is measured by the export's own space check, not by the tree's size
  const dataBytes = o.keepImages && r.dataRoot !== o.mountPoint && !driverChange(r) ? await treeBytes(r.dataRoot, { tools: hostTools, signal: context.signal }) : 0;
  const thinPool = o.driver === 'devicemapper';
  const notes: string[] = [];
  if (thinPool) {
    const version = await context.engine().then((e) => e.info()).then((i) => i.serverVersion, () => undefined);
    refusals.push(...thinPoolRefusals(version, probe.path));
    notes.push(`${PREFER_OVERLAY2}; this plan is shown only: apply refuses it`);
    if (!version) notes.push('the engine could not be asked its version: devicemapper exists only in engines older than 25');
  }
  const built = thinPool
    ? thinPoolSteps(probe.stableLinks[0] ?? probe.path, probe.sizeBytes, o.daemonJson, r.engine?.describe)
    : buildSteps(r, dataBytes, refusals.some((x) => x.kind === 'signature'));
  if (!probe.stableLinks.length) notes.push(`${probe.path} has no link under /dev/disk (udev not running?): kernel names can change between boots; configuration names the filesystem by UUID instead`);
  if (!thinPool && o.fs === 'xfs' && !r.quota) notes.push('this kernel has no XFS quota support (no /proc/fs/xfs/xqm): mounted without pquota, so --storage-opt size= will not work');
  if (r.auto && r.members.length) notes.push(`--device auto chose the ${r.members.length} ephemeral disks here (${r.auto.what}): striped as one RAID0`);
  else if (r.auto) notes.push(`--device auto chose ${r.auto.stableName} (${probe.path}): ${r.auto.what}, the only ephemeral disk here`);
  if (r.members.length) notes.push(`RAID0 has no redundancy: losing one of the ${r.members.length} disks loses the array (fine for a data-root that can be re-pulled)`);
  if (r.auto && !o.ephemeral) notes.push(`${r.auto.stableName} is wiped when the VM is stopped or moved: add --ephemeral so a boot unit re-makes the filesystem`);
  if (!thinPool && o.keepImages && r.dataRoot !== o.mountPoint && r.engine && !r.oldDriver) notes.push(`the storage driver of ${r.dataRoot} was not found (engine, image store, daemon.json): its files are copied as they are`);
  if (!thinPool && driverChange(r) && readDaemonConfig(r.fs, o.daemonJson).storageDriver === undefined) {
    notes.push(`${o.daemonJson} does not set storage-driver: dockerd must choose overlay2 on the new disk itself; a --storage-driver ${r.oldDriver!.name} on its command line (a systemd drop-in) would keep ${r.oldDriver!.name}, and migrate-import then stops before importing`);
  }
  if (owned) notes.push(`${probe.path} already holds stowage's filesystem: steps already done are skipped at apply`);
  if (!thinPool && !r.engine && r.dataRoot !== o.mountPoint) notes.push(`the engine is not restarted (engine: none): restart dockerd after apply to use ${o.mountPoint}`);
  if (!thinPool && !r.engine) notes.push('without an engine restart nothing is verified on the engine side: after restarting it, check `docker info` (Docker Root Dir) and run a container');
  const disk = probe.kind === 'disk' ? identifyCloudVolume(diskAttributes(r.fs, probe.name)) : undefined;
  const report: ProvisionReport = {
    schemaVersion: SCHEMA_VERSION,
    device: {
      given: r.auto ? AUTO_DEVICE : probe.given, ...(r.auto ? { auto: r.auto.what } : {}), path: probe.path, stableName: probe.stableLinks[0] ?? probe.path, stableLinks: probe.stableLinks,
      kind: probe.kind, sizeBytes: probe.sizeBytes, ...(disk ? { cloud: describeCloudVolume(disk) } : {}),
      signatures: probe.signatures, probeErrors: probe.probeErrors, mounts: probe.mounts, holders: probe.holders, swaps: probe.swaps,
    },
    ...(r.members.length ? { raid: raidOf(r) } : {}),
    ...(thinPool ? { driver: 'devicemapper' as const } : {}),
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
