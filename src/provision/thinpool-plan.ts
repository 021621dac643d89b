/**
 * `provision plan --driver devicemapper` (issue 16): the legacy devicemapper driver's LVM thin pool, shown as
 * a plan for engines that still have the driver (older than 25: deprecated in 20.10, removed in 25.0), with
 * a note to prefer overlay2. `apply` refuses it: stowage never builds a thin pool.
 */
import type { PlanAction, PlanRefusal } from '../plan/plan.js';
import { commandLine } from '../host/provision-tools.js';
import { THINPOOL_DEV, THINPOOL_PROFILE_PATH, THINPOOL_PROFILE_TEXT, THINPOOL_VG, thinPoolCommands, thinPoolDaemonConfig, thinPoolProfileCommands } from '../host/lvm-thinpool.js';
import type { ProvisionStep } from './provision-options.js';

export type StorageDriver = 'overlay2' | 'devicemapper';

/** The first engine major version without the devicemapper driver. */
export const DEVICEMAPPER_REMOVED_IN = 25;

export const PREFER_OVERLAY2 = 'devicemapper is deprecated (Docker 20.10) and removed in Docker 25: prefer overlay2 on XFS (ftype=1) or ext4 (drop --driver)';

/** The engine's refusal of a devicemapper plan: version 25 or later has no devicemapper driver. */
export function thinPoolRefusals(serverVersion: string | undefined, target: string): PlanRefusal[] {
  const major = Number(/^(\d+)\./.exec(serverVersion ?? '')?.[1]);
  if (Number.isFinite(major) && major >= DEVICEMAPPER_REMOVED_IN) {
    return [{ kind: 'driver-removed', target, bytes: 0, reason: 'protected', detail: `the engine is ${serverVersion}: the devicemapper driver was removed in Docker ${DEVICEMAPPER_REMOVED_IN}` }];
  }
  return [];
}

/** The thin-pool plan's steps for `device` (its stable name), each with its command lines and undo. */
export function thinPoolSteps(device: string, sizeBytes: number, daemonJson: string, engine?: { stop: string; start: string }): { action: PlanAction; step: ProvisionStep }[] {
  const [pv, vg, data, meta, convert] = thinPoolCommands(device).map(commandLine);
  const [profile, monitor] = thinPoolProfileCommands().map(commandLine);
  const config = thinPoolDaemonConfig();
  const s = (id: string, kind: string, target: string, bytes: number, reason: string, commands: string[], undo: string) => ({ action: { id, kind, target, bytes, reason }, step: { id, commands, undo } });
  return [
    s('lvm-pv', 'lvm', device, sizeBytes, 'an LVM physical volume on the whole disk', [pv!], `pvremove ${device}`),
    s('lvm-vg', 'lvm', THINPOOL_VG, 0, `volume group "${THINPOOL_VG}"`, [vg!], `vgremove ${THINPOOL_VG}`),
    s('lvm-thinpool', 'lvm', THINPOOL_DEV, 0, 'data (95% of the group) and metadata (1%) volumes, converted into one thin pool (chunk 512 KiB, no zeroing)', [data!, meta!, convert!], `lvremove ${THINPOOL_VG}/thinpool`),
    s('lvm-autoextend', 'write-file', THINPOOL_PROFILE_PATH, 0, 'extend the pool by 20% when it is 80% full, and monitor it (a full pool stops every container)',
      [`write ${THINPOOL_PROFILE_PATH}: ${THINPOOL_PROFILE_TEXT.replace(/\n\s*/g, ' ').trim()}`, profile!, monitor!], `lvchange --detachprofile ${THINPOOL_VG}/thinpool; rm ${THINPOOL_PROFILE_PATH}`),
    ...(engine ? [s('stop-engine', 'stop-engine', 'dockerd', 0, 'the storage driver changes: images and containers of the old driver are not seen by the new one', [engine.stop], engine.start)] : []),
    s('daemon-json', 'write-file', daemonJson, 0, `storage-driver devicemapper on ${THINPOOL_DEV}`,
      [`write ${daemonJson} with "storage-driver": "devicemapper", "storage-opts": ${JSON.stringify(config['storage-opts'])}`], `restore ${daemonJson} from its backup`),
    ...(engine ? [s('start-engine', 'start-engine', 'dockerd', 0, 'on the thin pool', [engine.start], engine.stop)] : []),
  ];
}
