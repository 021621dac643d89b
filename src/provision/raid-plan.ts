/**
 * Several devices striped as one md RAID0 before Docker's filesystem goes on it (issue 16), as the EKS node
 * image does with its instance stores: the array by name (/dev/md/stowage-docker, chunk 512 KiB), its ARRAY
 * line kept in stowage's own mdadm.conf (no initramfs assembles it), and a boot unit that assembles it again,
 * or, on ephemeral disks that came back blank, creates it again, before the mount and docker.service.
 */
import type { PlanRefusal } from '../plan/plan.js';
import { mkfsCommand, type ProvisionFs } from '../host/provision-tools.js';
import { MD_DEVICE, RAID_CHUNK_KIB, raidAssembleCommand, raidCreateCommand } from '../host/md-raid.js';
import { commandLine } from '../host/provision-tools.js';
import { earlyBootUnitText, escapeUnitPath } from './boot-units.js';
import type { ProvisionReport, Resolved } from './provision-options.js';

/** The name each member is given to mdadm and the boot unit: its most stable link, else the kernel's name. */
export function memberNames(r: Pick<Resolved, 'members'>): string[] {
  return r.members.map((m) => m.stableLinks[0] ?? m.path);
}

export function raidOf(r: Pick<Resolved, 'members' | 'o'>): NonNullable<ProvisionReport['raid']> {
  const smallest = Math.min(...r.members.map((m) => m.sizeBytes));
  return {
    device: MD_DEVICE,
    level: 0,
    chunkKiB: RAID_CHUNK_KIB,
    config: r.o.mdadmConf,
    sizeBytes: smallest * r.members.length,
    members: r.members.map((m) => ({ given: m.given, path: m.path, stableName: m.stableLinks[0] ?? m.path, sizeBytes: m.sizeBytes })),
  };
}

/** Why the array cannot be built: md missing here, members of different sizes wasting space is only a note. */
export function raidRefusals(r: Pick<Resolved, 'members' | 'mdMissing'>): PlanRefusal[] {
  if (!r.members.length) return [];
  return r.mdMissing.map((why) => ({ kind: 'no-md-raid', target: MD_DEVICE, bytes: 0, reason: 'protected' as const, detail: `striping ${r.members.length} devices needs md RAID0: ${why}` }));
}

export function raidUnitName(where: string): string {
  return `stowage-md-${escapeUnitPath(where)}.service`;
}

/**
 * The array's boot unit: assemble it from stowage's mdadm.conf; with `ephemeral`, when that fails and every
 * member is blank (`blkid -p` finds nothing: the cloud wiped them), create it again and make the filesystem
 * with the same label and UUID. A member that holds anything stops the unit: nothing is created over it.
 */
export function raidUnitText(members: readonly string[], conf: string, spec: { fs: ProvisionFs; uuid: string; where: string; label: string }, ephemeral: boolean): string {
  const assemble = commandLine(raidAssembleCommand(conf));
  const create = commandLine(raidCreateCommand(members));
  const mkfs = mkfsCommand({ fs: spec.fs, device: MD_DEVICE, label: spec.label, uuid: spec.uuid, striped: true });
  const tool = spec.fs === 'xfs' ? '/usr/sbin/mkfs.xfs' : '/usr/sbin/mkfs.ext4';
  const blank = members.map((m) => `! /usr/sbin/blkid -p ${m} >/dev/null 2>&1`).join(' && ');
  const script = ephemeral
    ? `/usr/sbin/${assemble} || { ${blank} && /usr/sbin/${create} && ${tool} ${mkfs.args.join(' ')}; }`
    : `/usr/sbin/${assemble}`;
  return earlyBootUnitText({
    comment: `assembles Docker's RAID0${ephemeral ? ', or re-creates it when its ephemeral disks come back blank' : ''}.`,
    description: `Docker's RAID0 over ${members.length} disks`,
    devices: members, mounts: [spec.where], shell: script,
  });
}
