/**
 * Which Azure managed disk a block device is, and its SKU. The device is placed by the udev links Azure's
 * Linux images make (WALinuxAgent's 66-azure-storage.rules: /dev/disk/azure/root and scsi1/lunN;
 * azure-vm-utils: /dev/disk/azure/os and data/by-lun/N), then looked up in IMDS's storage profile, which
 * names each disk's storageAccountType by LUN. What it rests on is stated with a confidence: `known` (placed
 * by its link and found in the profile), `inferred` (no link, but the profile's sizes or types leave one
 * answer) or `assumed` (IMDS unreachable or no match: Premium SSD is assumed, and the note says why).
 */
import { posix } from 'node:path';
import type { HostFs } from './host-fs.js';
import type { AzureDiskProfile, ImdsAnswer } from './azure-imds.js';

export type AzureDiskSku = 'premium-ssd' | 'standard-ssd' | 'standard-hdd' | 'ultra' | 'premium-ssd-v2' | 'resource-disk' | 'unknown';
export type AzureSkuConfidence = 'known' | 'inferred' | 'assumed';

export interface AzureDiskPlace {
  /** `resource`: the VM's local temporary disk, no managed disk at all. */
  role: 'os' | 'data' | 'resource';
  lun?: number;
  /** The link that placed it. */
  link: string;
}

export interface AzureDiskIdentity {
  sku: AzureDiskSku;
  /** As IMDS spells it, when it was read. */
  storageAccountType: string | undefined;
  place: AzureDiskPlace | undefined;
  sizeGiB: number | undefined;
  ephemeral: boolean;
  confidence: AzureSkuConfidence;
  /** What the SKU rests on, in one sentence. */
  note: string;
}

const AZURE = '/dev/disk/azure';

/** Where `diskName` sits among the VM's disks, from the /dev/disk/azure links; undefined when none points at it. */
export function placeAzureDisk(fs: HostFs, diskName: string): AzureDiskPlace | undefined {
  const points = (path: string) => {
    const target = fs.readLink(path);
    return target !== undefined && posix.basename(target) === diskName;
  };
  for (const os of ['root', 'os']) if (points(`${AZURE}/${os}`)) return { role: 'os', link: `${AZURE}/${os}` };
  for (const link of [`${AZURE}/resource`, '/dev/disk/cloud/azure_resource']) if (points(link)) return { role: 'resource', link };
  for (const entry of fs.listDir(`${AZURE}/scsi1`)) {
    const m = /^lun(\d+)$/.exec(entry);
    if (m && points(`${AZURE}/scsi1/${entry}`)) return { role: 'data', lun: Number(m[1]), link: `${AZURE}/scsi1/${entry}` };
  }
  for (const entry of fs.listDir(`${AZURE}/data/by-lun`)) {
    if (/^\d+$/.test(entry) && points(`${AZURE}/data/by-lun/${entry}`)) return { role: 'data', lun: Number(entry), link: `${AZURE}/data/by-lun/${entry}` };
  }
  return undefined;
}

export function skuOf(storageAccountType: string | undefined): AzureDiskSku {
  const t = (storageAccountType ?? '').toLowerCase();
  if (t === 'premium_lrs' || t === 'premium_zrs') return 'premium-ssd';
  if (t === 'standardssd_lrs' || t === 'standardssd_zrs') return 'standard-ssd';
  if (t === 'standard_lrs') return 'standard-hdd';
  if (t === 'ultrassd_lrs') return 'ultra';
  if (t === 'premiumv2_lrs') return 'premium-ssd-v2';
  return 'unknown';
}

function identity(d: AzureDiskProfile, place: AzureDiskPlace | undefined, confidence: AzureSkuConfidence, note: string): AzureDiskIdentity {
  return { sku: skuOf(d.storageAccountType), storageAccountType: d.storageAccountType, place, sizeGiB: d.sizeGiB, ephemeral: d.ephemeral, confidence, note };
}

/**
 * The SKU of `diskName` (of `sizeBytes`), from its place among the VM's disks and IMDS's answer. A device
 * no link places is matched by size in the profile; failing that, it is assumed Premium SSD, and said so.
 */
export function identifyAzureDisk(fs: HostFs, diskName: string, sizeBytes: number | undefined, imds: ImdsAnswer): AzureDiskIdentity {
  const place = placeAzureDisk(fs, diskName);
  if (place?.role === 'resource') {
    return { sku: 'resource-disk', storageAccountType: undefined, place, sizeGiB: undefined, ephemeral: true, confidence: 'known', note: `${diskName} is the VM's local resource disk (${place.link})` };
  }
  const where = place ? (place.role === 'os' ? `the OS disk (${place.link})` : `the data disk at LUN ${place.lun} (${place.link})`) : undefined;
  const assume = (why: string): AzureDiskIdentity => ({
    sku: 'premium-ssd', storageAccountType: undefined, place, sizeGiB: undefined, ephemeral: false, confidence: 'assumed',
    note: `${why}; assumed Premium SSD (give --burst-model azure-standard for a Standard SSD, none for Ultra or Premium SSD v2)`,
  });
  if ('error' in imds) return assume(`${diskName} is ${where ?? 'an Azure managed disk'}, but its SKU is unknown: ${imds.error}`);
  const { profile } = imds;
  const from = (d: AzureDiskProfile) => `${d.storageAccountType ?? 'no storageAccountType'} in the metadata service's storage profile`;
  if (place?.role === 'os' && profile.osDisk) return identity(profile.osDisk, place, 'known', `${diskName} is ${where}: ${from(profile.osDisk)}`);
  if (place?.role === 'data') {
    const d = profile.dataDisks.find((x) => x.lun === place.lun);
    if (d) return identity(d, place, 'known', `${diskName} is ${where}: ${from(d)}`);
  }
  // no link, or the link's disk is missing from the profile: a unique size, or one type for every disk, still answers
  const all = [...(profile.osDisk ? [profile.osDisk] : []), ...profile.dataDisks];
  const gib = sizeBytes === undefined ? undefined : sizeBytes / 1024 ** 3;
  const bySize = gib === undefined ? [] : all.filter((d) => d.sizeGiB !== undefined && Math.abs(d.sizeGiB - gib) < 1);
  if (bySize.length === 1) return identity(bySize[0]!, place, 'inferred', `${diskName} has the size of ${bySize[0]!.name ?? 'one disk'} (${bySize[0]!.sizeGiB} GiB), the only one that size: ${from(bySize[0]!)}`);
  const types = new Set(all.map((d) => d.storageAccountType).filter((t) => t !== undefined));
  if (types.size === 1 && all.every((d) => !d.ephemeral)) {
    return { ...identity(all[0]!, place, 'inferred', `every managed disk of this VM is ${[...types][0]} in the metadata service's storage profile`), sizeGiB: undefined };
  }
  return assume(`${diskName} is not placed by a /dev/disk/azure link and matches no single disk in the metadata service's storage profile`);
}
