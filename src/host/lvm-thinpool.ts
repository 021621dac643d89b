/**
 * The legacy devicemapper storage driver's LVM thin pool (Docker's documented direct-lvm setup): a volume
 * group on the disk, a data and a metadata volume converted into one thin pool, an LVM profile that extends
 * the pool when it fills, and monitoring on. Only built as commands for a plan: stowage never applies it.
 */
import type { ToolInvocation } from './tool-runner.js';

export const THINPOOL_VG = 'docker';
export const THINPOOL_LV = 'thinpool';
export const THINPOOL_PROFILE = 'docker-thinpool';
/** The pool as dockerd's `dm.thinpooldev` names it. */
export const THINPOOL_DEV = `/dev/mapper/${THINPOOL_VG}-${THINPOOL_LV}`;
export const THINPOOL_PROFILE_PATH = `/etc/lvm/profile/${THINPOOL_PROFILE}.profile`;

/** Extend the pool by 20% whenever it is 80% full (Docker's documented values). */
export const THINPOOL_PROFILE_TEXT = `activation {
  thin_pool_autoextend_threshold=80
  thin_pool_autoextend_percent=20
}
`;

export function thinPoolCommands(device: string): ToolInvocation[] {
  const pool = `${THINPOOL_VG}/${THINPOOL_LV}`;
  return [
    { tool: 'pvcreate', args: [device] },
    { tool: 'vgcreate', args: [THINPOOL_VG, device] },
    { tool: 'lvcreate', args: ['--wipesignatures', 'y', '-n', THINPOOL_LV, THINPOOL_VG, '-l', '95%VG'] },
    { tool: 'lvcreate', args: ['--wipesignatures', 'y', '-n', `${THINPOOL_LV}meta`, THINPOOL_VG, '-l', '1%VG'] },
    { tool: 'lvconvert', args: ['-y', '--zero', 'n', '-c', '512K', '--thinpool', pool, '--poolmetadata', `${THINPOOL_VG}/${THINPOOL_LV}meta`] },
  ];
}

export function thinPoolProfileCommands(): ToolInvocation[] {
  return [
    { tool: 'lvchange', args: ['--metadataprofile', THINPOOL_PROFILE, `${THINPOOL_VG}/${THINPOOL_LV}`] },
    { tool: 'lvs', args: ['-o+seg_monitor', `${THINPOOL_VG}/${THINPOOL_LV}`] },
  ];
}

/** daemon.json's storage keys for the pool (deferred removal and deletion, as Docker's guide sets them). */
export function thinPoolDaemonConfig(): { 'storage-driver': string; 'storage-opts': string[] } {
  return {
    'storage-driver': 'devicemapper',
    'storage-opts': [`dm.thinpooldev=${THINPOOL_DEV}`, 'dm.use_deferred_removal=true', 'dm.use_deferred_deletion=true'],
  };
}
