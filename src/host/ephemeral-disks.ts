/**
 * The cloud's ephemeral (instance-local) disks on this host, for `provision --device auto`: an Azure resource
 * disk (named by the /dev/disk/azure/resource or /dev/disk/cloud/azure_resource link the Azure agent's or
 * azure-vm-utils' udev rules make) or local NVMe, an AWS instance store, a GCP local SSD. Found from what each
 * disk says about itself (model, vendor) and from the cloud's own /dev/disk links.
 */
import { diskAttributes } from './block-device.js';
import { describeCloudVolume, identifyCloudVolume } from './cloud-volume.js';
import type { HostFs } from './host-fs.js';
import { stableLinksTo } from './block-probe.js';

export interface EphemeralDisk {
  /** Kernel name: `nvme1n1`, `sdb`. */
  name: string;
  /** `/dev/NAME`. */
  path: string;
  /** The cloud's own link when there is one, else by-id, by-path; the kernel path otherwise. */
  stableName: string;
  /** `AWS instance-store NVMe (ephemeral)`, `Azure resource disk (ephemeral)`. */
  what: string;
  sizeBytes: number;
}

/** Whole disks under /sys/block: not loop, ram, zram, dm, md, nbd or optical devices. */
function wholeDisks(fs: HostFs): string[] {
  return fs.listDir('/sys/block').filter((n) => !/^(loop|ram|zram|dm-|md|nbd|sr|fd)/.test(n)).sort();
}

const AZURE_RESOURCE_LINKS = new Set(['/dev/disk/azure/resource', '/dev/disk/cloud/azure_resource']);

export function findEphemeralDisks(fs: HostFs): EphemeralDisk[] {
  const out: EphemeralDisk[] = [];
  for (const name of wholeDisks(fs)) {
    const links = stableLinksTo(fs, name);
    const attrs = diskAttributes(fs, name);
    const cloud = identifyCloudVolume(attrs);
    const azureResource = links.some((l) => AZURE_RESOURCE_LINKS.has(l));
    const ephemeral = azureResource || cloud?.kind === 'instance-store' || cloud?.kind === 'local-ssd' || cloud?.kind === 'local-nvme'
      || links.some((l) => /^\/dev\/disk\/by-id\/google-local-(nvme-)?ssd-/.test(l));
    if (!ephemeral) continue;
    out.push({
      name,
      path: `/dev/${name}`,
      stableName: links[0] ?? `/dev/${name}`,
      what: azureResource ? 'Azure resource disk (ephemeral)' : cloud ? describeCloudVolume(cloud) : 'GCP local SSD (ephemeral)',
      sizeBytes: attrs.sizeBytes ?? 0,
    });
  }
  return out;
}

/** What each whole disk is, for the message when none is ephemeral: `sda (Msft Virtual Disk)`. */
export function describeWholeDisks(fs: HostFs): string[] {
  return wholeDisks(fs).map((name) => {
    const a = diskAttributes(fs, name);
    const model = [a.vendor, a.model].filter(Boolean).join(' ');
    return `${name}${model ? ` (${model})` : ''}`;
  });
}
