/**
 * `provision --device auto`: the cloud's one ephemeral disk on this host (an Azure resource disk, an AWS
 * instance store, a GCP local SSD). None, or more than one, is refused: formatting the wrong disk loses data.
 */
import { BadInputError, RefusedError } from '../errors.js';
import { describeWholeDisks, findEphemeralDisks, type EphemeralDisk } from '../host/ephemeral-disks.js';
import type { HostFs } from '../host/host-fs.js';
import { formatBytes } from '../units.js';

export const AUTO_DEVICE = 'auto';

export function pickEphemeralDisk(fs: HostFs): EphemeralDisk {
  const found = findEphemeralDisks(fs);
  if (found.length === 1) return found[0]!;
  if (!found.length) {
    const disks = describeWholeDisks(fs);
    throw new BadInputError(
      `--device auto found no ephemeral disk (an Azure resource disk, an AWS instance store, a GCP local SSD); disks here: ${disks.join(', ') || 'none'}`,
      'Name the disk with --device /dev/disk/by-id/… (see lsblk -o NAME,SIZE,MODEL,SERIAL).',
    );
  }
  throw new RefusedError(
    `--device auto is ambiguous: ${found.length} ephemeral disks: ${found.map((d) => `${d.stableName} (${d.what}, ${formatBytes(d.sizeBytes)})`).join('; ')}`,
    'Name one with --device; striping several into one RAID0 is not built yet (it needs the kernel\'s md driver).',
  );
}
