/**
 * Why a device must not be written, each with the evidence: the disk under `/` or the data-root, a mounted
 * device (or partition), swap on it, a holder (LVM, md, dm-crypt), a signature (filesystem, partition table,
 * LVM, RAID) unless `force` names that exact device, a read-only or too small device. A device stowage
 * itself provisioned (its label, mounted where asked) is not refused: apply finds it done and changes nothing.
 */
import type { DeviceProbe } from '../host/block-probe.js';
import type { PlanRefusal } from '../plan/plan.js';
import { formatBytes } from '../units.js';

/** The filesystem label stowage gives Docker's filesystem (XFS allows 12 characters). */
export const DOCKER_LABEL = 'stowage-dr';
/** The label of a split's second filesystem. */
export const DATA_LABEL = 'stowage-data';
/** The GPT partition names of a split, how a rerun knows the table is stowage's. */
export const DOCKER_PARTITION_NAME = 'stowage-docker';
export const DATA_PARTITION_NAME = 'stowage-data';

export interface RefusalFacts {
  /** Device names in the chain under `/` (`vda`, or `nvme0n1p1`, `nvme0n1`). */
  rootChain: readonly string[];
  /** The same for the current data-root. */
  dataRootChain: readonly string[];
  dataRoot: string;
  /** The path `force` names; signatures are waived only when it is this device. */
  force?: string;
  minSizeBytes: number;
  /** Mount points stowage mounts the device (or its partitions) on: a mount there by stowage's label is its own. */
  ownMountPoints: readonly string[];
  /** Whether what the device holds is stowage's own provisioning (label or partition names). */
  ownedByStowage: boolean;
}

export function deviceRefusals(probe: DeviceProbe, facts: RefusalFacts): PlanRefusal[] {
  const refusals: PlanRefusal[] = [];
  const target = probe.path;
  // the device's size counts once, however many reasons refuse it
  const refuse = (kind: string, reason: PlanRefusal['reason'], detail: string) => refusals.push({ kind, target, bytes: refusals.length ? 0 : probe.sizeBytes, reason, detail });
  const names = [probe.name, ...probe.partitions];
  const inChain = (chain: readonly string[]) => names.filter((n) => chain.includes(n));
  const root = inChain(facts.rootChain);
  if (root.length) refuse('root-disk', 'protected', `holds / (device chain ${facts.rootChain.join(' -> ')})`);
  else if (probe.parentDisk && facts.rootChain.includes(probe.parentDisk)) {
    refuse('root-disk', 'protected', `is a partition of ${probe.parentDisk}, the disk holding / (device chain ${facts.rootChain.join(' -> ')})`);
  }
  const dataRoot = inChain(facts.dataRootChain);
  if (dataRoot.length) refuse('data-root-disk', 'protected', `holds the current data-root ${facts.dataRoot} (device chain ${facts.dataRootChain.join(' -> ')})`);
  for (const m of probe.mounts) {
    const own = facts.ownedByStowage && facts.ownMountPoints.includes(m.mountPoint);
    if (!own) refuse('mounted', 'in-use', `${m.device} is mounted on ${m.mountPoint} (${m.fsType})`);
  }
  for (const s of probe.swaps) refuse('swap', 'in-use', `${s} is in use as swap (/proc/swaps)`);
  for (const h of probe.holders) refuse('held', 'in-use', `held by ${h} (/sys/class/block/*/holders: LVM, md or dm-crypt)`);
  if (probe.readOnly) refuse('read-only', 'protected', 'the device is read-only (/sys/class/block/*/ro = 1)');
  if (probe.sizeBytes < facts.minSizeBytes) {
    refuse('too-small', 'protected', `${formatBytes(probe.sizeBytes)} is below the minimum of ${formatBytes(facts.minSizeBytes)}`);
  }
  for (const e of probe.probeErrors) refuse('unreadable', 'protected', `its signatures cannot be read (${e}): what it holds is unknown`);
  if (!facts.ownedByStowage && !(facts.force !== undefined && (facts.force === probe.given || facts.force === probe.path))) {
    for (const s of probe.signatures) {
      refuse('signature', 'protected', `wipefs: ${s.type} signature at offset ${s.offset}${s.uuid ? ` (UUID ${s.uuid})` : ''}${s.label ? ` label ${s.label}` : ''}; --force ${probe.given} wipes it`);
    }
    // blkid -p sees what wipefs may not list separately (a partition table's type, a filesystem's usage)
    if (!probe.signatures.length && (probe.blkid.TYPE || probe.blkid.PTTYPE)) {
      refuse('signature', 'protected', `blkid -p: ${probe.blkid.TYPE ? `TYPE=${probe.blkid.TYPE}` : `PTTYPE=${probe.blkid.PTTYPE}`}; --force ${probe.given} wipes it`);
    }
  }
  return refusals;
}
