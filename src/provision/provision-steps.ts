/** The steps of a provisioning plan, each with the command lines it runs and how to undo it by hand. */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonJsonBackup, readDaemonConfig } from '../host/daemon-config.js';
import { commandLine, mkfsCommand, mountCommand, partitionCommand, partitionRereadCommand, systemctlCommand, wipeCommand } from '../host/provision-tools.js';
import { copyTreeLines } from '../host/tree-copy.js';
import type { ToolInvocation } from '../host/tool-runner.js';
import type { PlanAction } from '../plan/plan.js';
import { formatBytes } from '../units.js';
import { reseedUnitName, ephemeralUnitName, fstabLine, mountUnitName, type MountSpec } from './boot-units.js';
import { DATA_LABEL, DATA_PARTITION_NAME, DOCKER_LABEL, DOCKER_PARTITION_NAME } from './device-refusals.js';
import { partitionNode, systemdRuns, type ProvisionStep, type Resolved } from './provision-options.js';
import { MD_DEVICE, RAID_CHUNK_KIB, raidCreateCommand, raidScanCommand } from '../host/md-raid.js';
import { memberNames, raidOf, raidUnitName } from './raid-plan.js';
import { migrateStoreDir, NEW_DRIVER } from './driver-change.js';

function step(action: PlanAction, commands: (ToolInvocation | string)[], undo: string): { action: PlanAction; step: ProvisionStep } {
  return { action, step: { id: action.id, commands: commands.map((c) => (typeof c === 'string' ? c : commandLine(c))), undo } };
}

/**
 * The CLI the re-seed unit runs: the caller's; else the script node was started with when that is stowage's
 * CLI (bin/stowage or npm's link to it: the bundle it loads has no import.meta.url); else this package's
 * bin/stowage, for a library caller.
 */
export function stowageBin(o: { stowageBin?: string }): string {
  if (o.stowageBin) return o.stowageBin;
  const script = process.argv[1];
  if (script && basename(script) === 'stowage') return resolve(script);
  return fileURLToPath(new URL('../../../bin/stowage', import.meta.url));
}

/**
 * Why `--keep-images` goes through `stowage migrate` instead of a file copy (the old driver is not the one the
 * new data-root gets), or undefined for the file copy.
 */
export function driverChange(r: Pick<Resolved, 'o' | 'dataRoot' | 'oldDriver' | 'engine'>): string | undefined {
  const d = r.oldDriver;
  if (!r.o.keepImages || r.dataRoot === r.o.mountPoint || !r.engine || !d || d.name === NEW_DRIVER) return undefined;
  return `driver ${d.name} (from ${d.from}) -> ${NEW_DRIVER}: a file copy would not carry the images (${NEW_DRIVER} cannot read ${d.name}/)`;
}

export function buildSteps(r: Resolved, dataBytes: number, refusedSignatures: boolean): { action: PlanAction; step: ProvisionStep }[] {
  const { o, probe } = r;
  const dev = probe.path;
  const out: { action: PlanAction; step: ProvisionStep }[] = [];
  const raid = r.members.length > 1;
  const dockerDev = raid ? MD_DEVICE : o.split ? partitionNode(dev, 1) : dev;
  const docker: MountSpec = { fs: o.fs, uuid: r.uuid, where: o.mountPoint, quota: r.quota };
  for (const p of raid ? r.members : [probe]) {
    const forced = o.force !== undefined && (o.force === p.given || o.force === p.path) && p.signatures.length > 0 && !refusedSignatures;
    if (!forced) continue;
    out.push(step({ id: raid ? `wipe-${p.name}` : 'wipe', kind: 'wipe', target: p.path, bytes: 0, reason: `--force names it: erase ${p.signatures.map((x) => x.type).join(', ')}` },
      [wipeCommand(p.path)], `wipefs saved each signature to $HOME/wipefs-${p.name}-OFFSET.bak; put one back with dd if=FILE of=${p.path} seek=OFFSET bs=1 conv=notrunc`));
  }
  if (raid) {
    const names = memberNames(r);
    const array = raidOf(r);
    out.push(step({ id: 'raid-create', kind: 'raid', target: MD_DEVICE, bytes: array.sizeBytes, reason: `md RAID0 over ${names.length} disks, chunk ${RAID_CHUNK_KIB} KiB (as the EKS node image stripes its instance stores)` },
      [raidCreateCommand(names)], `mdadm --stop ${MD_DEVICE}; wipefs --all ${names.join(' ')} (the members were blank)`));
    out.push(step({ id: 'raid-config', kind: 'write-file', target: o.mdadmConf, bytes: 0, reason: 'the array\'s ARRAY line, kept out of the initramfs\'s mdadm.conf so boot never waits for disks that may come back blank' },
      [`${commandLine(raidScanCommand())} >> ${o.mdadmConf}`], `remove the line naming ${MD_DEVICE} from ${o.mdadmConf}`));
  }
  if (o.split) {
    out.push(step({ id: 'partition', kind: 'partition', target: dev, bytes: 0, reason: `GPT: ${o.split.sizeBytes} bytes for Docker, the rest for ${o.split.mountPoint}` },
      [partitionCommand(dev, o.split.sizeBytes, [DOCKER_PARTITION_NAME, DATA_PARTITION_NAME]), partitionRereadCommand(dev)], `wipefs --all ${dev} (the partitions are new: nothing was on them)`));
  }
  out.push(step({ id: 'mkfs-docker', kind: 'mkfs', target: dockerDev, bytes: raid ? raidOf(r).sizeBytes : o.split ? o.split.sizeBytes : probe.sizeBytes,
    reason: o.fs === 'xfs' ? 'XFS with ftype=1 (d_type, which overlay2 needs), label stowage-dr' : 'ext4 with a journal and the filetype feature (d_type), label stowage-dr' },
  [mkfsCommand({ fs: o.fs, device: dockerDev, label: DOCKER_LABEL, uuid: r.uuid, ...(raid ? { striped: true } : {}) })], `wipefs --all ${dockerDev} (a new, empty filesystem)`));
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
  if (raid) {
    const unit = raidUnitName(o.mountPoint);
    const path = join(o.unitDir, unit);
    out.push(step({ id: 'raid-unit', kind: 'write-file', target: path, bytes: 0,
      reason: `at boot, assemble ${MD_DEVICE} from ${o.mdadmConf}${o.ephemeral ? ', or create it again (and the filesystem, same UUID) when every member comes back blank' : ''}, before the mount and docker.service` },
    [`write ${path}`, ...(systemdRuns(r.fs) ? [systemctlCommand('enable', [unit])] : [])], `systemctl disable ${unit}; rm ${path}`));
  } else if (ephemeral) {
    const path = join(o.unitDir, ephemeral);
    const name = r.probe.stableLinks[0] ?? dev;
    out.push(step({ id: 'ephemeral-unit', kind: 'write-file', target: path, bytes: 0, reason: o.split
      ? `at boot, when ${name} comes back blank, write the same GPT and re-make both filesystems (same UUIDs), before both mounts and docker.service`
      : `at boot, re-make the filesystem on ${name} when it comes back blank (same UUID), before the mount and docker.service` },
      [`write ${path}`, ...(systemdRuns(r.fs) ? [systemctlCommand('enable', [ephemeral])] : [])], `systemctl disable ${ephemeral}; rm ${path}`));
  }
  if (o.ephemeral && o.reseed) {
    const unit = reseedUnitName(o.mountPoint);
    const path = join(o.unitDir, unit);
    out.push(step({ id: 'reseed-unit', kind: 'write-file', target: path, bytes: 0, reason: `after docker.service starts at boot, load the images and volumes of the stowage migrate store ${o.reseed} (what is there already is skipped)` },
      [`write ${path}: ExecStart=${stowageBin(o)} migrate import ${o.reseed}`, ...(systemdRuns(r.fs) ? [systemctlCommand('enable', [unit])] : [])], `systemctl disable ${unit}; rm ${path}`));
  }
  const switching = r.dataRoot !== o.mountPoint;
  const migrate = driverChange(r);
  const store = migrateStoreDir(o.mountPoint);
  const bin = stowageBin(o);
  if (migrate) {
    out.push(step({ id: 'migrate-export', kind: 'export', target: store, bytes: 0,
      reason: `${migrate}: every image (by ID, with its tags) and every named volume exported into a stowage migrate store on the new disk, after a space check; containers are not carried` },
    [`${bin} migrate export ${store}`], `rm -rf ${store} (the old data-root is untouched)`));
  }
  if (r.engine && switching) {
    out.push(step({ id: 'stop-engine', kind: 'stop-engine', target: 'dockerd', bytes: 0, reason: 'the data-root changes; nothing may write to it while it moves' },
      [r.engine.describe.stop], r.engine.describe.start));
  }
  if (o.keepImages && switching && !migrate) {
    // bytes stay out of the action (and so out of the plan's digest): a data-root that changed by a few bytes
    // between a killed apply and the next must not make its journal "another plan"
    out.push(step({ id: 'copy-data', kind: 'copy', target: o.mountPoint, bytes: 0, reason: `${formatBytes(dataBytes)} of images, containers and volumes from ${r.dataRoot} (hardlinks, xattrs, holes kept; the old copy stays)` },
      copyTreeLines(r.dataRoot, o.mountPoint), `the old data-root ${r.dataRoot} is untouched: empty ${o.mountPoint} or leave it`));
  }
  if (switching) {
    const driverKey = migrate && readDaemonConfig(r.fs, o.daemonJson).storageDriver !== undefined ? `, "storage-driver": "${NEW_DRIVER}"` : '';
    out.push(step({ id: 'daemon-json', kind: 'write-file', target: o.daemonJson, bytes: 0, reason: `data-root ${r.dataRoot} -> ${o.mountPoint}${driverKey ? `, storage-driver ${r.oldDriver!.name} -> ${NEW_DRIVER}` : ''}; every other key kept; backup at ${daemonJsonBackup(o.daemonJson)}` },
      [...(existsSync(o.daemonJson) ? [`cp ${o.daemonJson} ${daemonJsonBackup(o.daemonJson)}`] : []), `write ${o.daemonJson} with "data-root": "${o.mountPoint}"${driverKey}`],
      existsSync(o.daemonJson) ? `mv ${daemonJsonBackup(o.daemonJson)} ${o.daemonJson}` : `rm ${o.daemonJson} (it did not exist before)`));
  }
  if (r.engine && switching) {
    out.push(step({ id: 'start-engine', kind: 'start-engine', target: 'dockerd', bytes: 0, reason: `on the new data-root ${o.mountPoint}` },
      [r.engine.describe.start], `${r.engine.describe.stop}, restore daemon.json, ${r.engine.describe.start}`));
    if (migrate) {
      out.push(step({ id: 'migrate-import', kind: 'import', target: store, bytes: 0, reason: `into the engine on ${NEW_DRIVER} (what it has already is skipped, so a rerun finishes the job)` },
        [`${bin} migrate import ${store}`], 'stowage provision rollback --yes (the old data-root is untouched)'));
      out.push(step({ id: 'migrate-verify', kind: 'verify', target: store, bytes: 0, reason: 'the store\'s blobs hash to their names; every image ID, tag and volume tree is on the engine' },
        [`${bin} migrate verify ${store}`], 'nothing to undo (read-only)'));
    }
    out.push(step({ id: 'verify-engine', kind: 'verify', target: 'dockerd', bytes: 0,
      reason: `Docker Root Dir is ${o.mountPoint}${migrate ? `, the driver ${NEW_DRIVER}, every image ID of the store is listed, a container of a kept image starts`
        : o.keepImages ? `, every image of ${r.dataRoot} is listed, a container of a kept image starts` : ''}` },
    ['GET /info', ...(o.keepImages ? ['GET /images/json', 'POST /containers/create, /start, DELETE'] : [])], 'stowage provision rollback --yes (the old data-root is untouched)'));
  }
  if (migrate) {
    out.push(step({ id: 'remove-store', kind: 'remove', target: store, bytes: 0, reason: 'the images and volumes are verified on the engine: the store\'s copy is no longer needed' },
      [`rm -rf ${store}`], 'nothing to undo (export again from the old data-root if needed)'));
  }
  return out;
}
