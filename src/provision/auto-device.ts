/**
 * `provision --device auto`: the cloud's ephemeral disks on this host (an Azure resource disk, AWS instance
 * stores, GCP local SSDs). One is used as it is; several of the same kind (an i3.8xlarge's four instance stores)
 * are striped as one md RAID0, as the EKS node image does. None, or disks of different kinds, is refused:
 * formatting the wrong disk loses data.
 */
import { BadInputError, RefusedError } from '../errors.js';
import { describeWholeDisks, findEphemeralDisks, type EphemeralDisk } from '../host/ephemeral-disks.js';
import type { HostFs } from '../host/host-fs.js';
import { formatBytes } from '../units.js';

export const AUTO_DEVICE = 'auto';

/** The ephemeral disks `auto` gives Docker: one, or several of one kind to stripe. */
export function pickEphemeralDisks(fs: HostFs): EphemeralDisk[] {
  const found = findEphemeralDisks(fs);
  if (!found.length) {
    const disks = describeWholeDisks(fs);
    throw new BadInputError(
      `--device auto found no ephemeral disk (an Azure resource disk, an AWS instance store, a GCP local SSD); disks here: ${disks.join(', ') || 'none'}`,
      'Name the disk with --device /dev/disk/by-id/… (see lsblk -o NAME,SIZE,MODEL,SERIAL).',
    );
  }
  const kinds = new Set(found.map((d) => d.what));
  if (kinds.size === 1) return found;
  throw new RefusedError(
    `--device auto is ambiguous: ${found.length} ephemeral disks of ${kinds.size} kinds: ${found.map((d) => `${d.stableName} (${d.what}, ${formatBytes(d.sizeBytes)})`).join('; ')}`,
    'Name the ones to use with --device (several --device are striped as one RAID0).',
  );
}

/** The one ephemeral disk (a caller that cannot stripe); several are refused as ambiguous. */
export function pickEphemeralDisk(fs: HostFs): EphemeralDisk {
  const found = pickEphemeralDisks(fs);
  if (found.length === 1) return found[0]!;
  throw new RefusedError(
    `--device auto is ambiguous: ${found.length} ephemeral disks: ${found.map((d) => `${d.stableName} (${d.what}, ${formatBytes(d.sizeBytes)})`).join('; ')}`,
    'Name one with --device.',
  );
}
