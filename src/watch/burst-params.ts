/**
 * Which burst-credit model watch runs for the data-root disk: found from the device's identity (an EBS
 * volume is modelled as gp2 by its size; an Azure managed disk by the SKU the metadata service names for it,
 * src/host/azure-disk-sku.ts), named (`gp2`, Azure's credit-based `azure-premium` and
 * `azure-standard` sizes, with `--size`), or given as numbers (baseline, burst and bucket).
 */
import { gp2Model, type BurstModel } from '../measure/burst-model.js';
import { describeCloudVolume, identifyCloudVolume } from '../host/cloud-volume.js';
import type { DiskAttributes } from '../host/block-device.js';
import type { AzureDiskIdentity, AzureSkuConfidence } from '../host/azure-disk-sku.js';
import { UsageError } from '../errors.js';

export const BURST_MODEL_NAMES = ['auto', 'gp2', 'azure-premium', 'azure-standard', 'custom', 'none'] as const;
export type BurstModelName = (typeof BURST_MODEL_NAMES)[number];

export interface BurstChoice {
  model: BurstModelName;
  /** Volume size for gp2 and the Azure tiers; default: the disk's own size. */
  sizeBytes?: number;
  /** `custom`: the three numbers. */
  baselineIops?: number;
  burstIops?: number;
  bucketCredits?: number;
}

export interface ChosenModel {
  model: BurstModel;
  /** Why this model applies, in one sentence. */
  basis: string;
  /** How sure the choice of model is, when it came from an identity lookup that can be unsure (Azure's SKU). */
  basisConfidence?: AzureSkuConfidence;
}

const GIB = 1024 ** 3;
/** Azure credit-based bursting lasts 30 minutes at the full burst rate from a full bucket. */
const AZURE_BURST_SECONDS = 1800;

/** One credit-based bursting tier: the largest size it covers and its published limits. */
interface AzureTier { tier: string; maxGiB: number; baselineIops: number; baselineMBps: number; burstIops: number; burstMBps: number }
const tier = (t: string, maxGiB: number, baselineIops: number, baselineMBps: number, burstIops: number, burstMBps: number): AzureTier =>
  ({ tier: t, maxGiB, baselineIops, baselineMBps, burstIops, burstMBps });

/**
 * Azure's credit-based bursting tiers, from Microsoft's tables (learn.microsoft.com/azure/virtual-machines/
 * disks-scalability-targets, the includes disk-storage-premium-ssd-sizes.md and disk-storage-standard-ssd-
 * sizes.md of MicrosoftDocs/azure-docs, 2023-03-16): Premium SSD P1-P20 (up to 512 GiB) burst to 3,500 IOPS
 * and 170 MB/s; Standard SSD E1-E20 to 600 IOPS and 150 MB/s, E30 (1 TiB) to 1,000 IOPS and 250 MB/s; all
 * for at most 30 minutes from a full bucket. Larger disks burst on demand (billed) or not at all. A disk is
 * billed and throttled as the smallest tier that holds its size.
 */
const AZURE_PREMIUM: AzureTier[] = [
  tier('P1', 4, 120, 25, 3500, 170), tier('P2', 8, 120, 25, 3500, 170), tier('P3', 16, 120, 25, 3500, 170),
  tier('P4', 32, 120, 25, 3500, 170), tier('P6', 64, 240, 50, 3500, 170), tier('P10', 128, 500, 100, 3500, 170),
  tier('P15', 256, 1100, 125, 3500, 170), tier('P20', 512, 2300, 150, 3500, 170),
];
const AZURE_STANDARD: AzureTier[] = [
  tier('E1', 4, 500, 60, 600, 150), tier('E2', 8, 500, 60, 600, 150), tier('E3', 16, 500, 60, 600, 150),
  tier('E4', 32, 500, 60, 600, 150), tier('E6', 64, 500, 60, 600, 150), tier('E10', 128, 500, 60, 600, 150),
  tier('E15', 256, 500, 60, 600, 150), tier('E20', 512, 500, 60, 600, 150), tier('E30', 1024, 500, 60, 1000, 250),
];

/** The bucket is what 30 minutes at the burst rate spends above the baseline. */
export function azureModel(name: 'azure-premium' | 'azure-standard', sizeBytes: number): (BurstModel & { tier: string }) | undefined {
  const sizeGiB = sizeBytes / GIB;
  const t = (name === 'azure-premium' ? AZURE_PREMIUM : AZURE_STANDARD).find(({ maxGiB }) => sizeGiB <= maxGiB);
  if (!t) return undefined;
  const bucketCredits = (t.burstIops - t.baselineIops) * AZURE_BURST_SECONDS;
  return {
    name, tier: t.tier, sizeGiB, baselineIops: t.baselineIops, burstIops: t.burstIops, bucketCredits, fullBurstSeconds: AZURE_BURST_SECONDS,
    baselineMBps: t.baselineMBps, burstMBps: t.burstMBps,
  };
}

/** A model from three numbers; the bucket lasts bucket / (burst - baseline) seconds at the burst rate. */
export function customModel(baselineIops: number, burstIops: number, bucketCredits: number): BurstModel {
  return { name: 'custom', sizeGiB: 0, baselineIops, burstIops, bucketCredits, fullBurstSeconds: bucketCredits / (burstIops - baselineIops) };
}

/**
 * The model for `disk` under `choice`, or undefined with the reason when none applies (an unknown disk under
 * `auto`, a gp2 volume too large to burst). Throws UsageError for numbers that cannot describe a bucket.
 */
export function chooseBurstModel(choice: BurstChoice, disk: DiskAttributes | undefined, azure?: AzureDiskIdentity): ChosenModel | { none: string } {
  const name = disk?.name ?? 'the data-root device';
  const size = choice.sizeBytes ?? disk?.sizeBytes;
  const sized = (m: string) => {
    if (size === undefined) throw new UsageError(`--burst-model ${m} needs --size: the size of ${name} is unknown`);
    return size;
  };
  switch (choice.model) {
    case 'none':
      return { none: 'burst model turned off (--burst-model none)' };
    case 'custom': {
      const { baselineIops: base, burstIops: burst, bucketCredits: bucket } = choice;
      if (base === undefined || burst === undefined || bucket === undefined) {
        throw new UsageError('--burst-model custom needs --baseline-iops, --burst-iops and --bucket-credits');
      }
      if (burst <= base) throw new UsageError(`--burst-iops (${burst}) must be above --baseline-iops (${base})`);
      return { model: customModel(base, burst, bucket), basis: `${name} modelled with the given numbers: baseline ${base} IOPS, burst ${burst} IOPS, bucket ${bucket} credits` };
    }
    case 'gp2': {
      const model = gp2Model(sized('gp2'));
      if (model.fullBurstSeconds === Infinity) return { none: `a gp2 volume of ${Math.round(model.sizeGiB)} GiB has a baseline of ${model.baselineIops} IOPS, at or above the burst rate: no credits to run out` };
      return { model, basis: `${name} modelled as gp2 of ${round1(model.sizeGiB)} GiB (--burst-model gp2)` };
    }
    case 'azure-premium':
    case 'azure-standard': {
      const premium = choice.model === 'azure-premium';
      const model = azureModel(choice.model, sized(choice.model));
      if (!model) return { none: `Azure ${premium ? 'premium SSD over 512 GiB' : 'standard SSD over 1 TiB'} does not burst on credits` };
      return { model, basis: `${name} modelled as Azure ${premium ? 'premium' : 'standard'} SSD ${model.tier} (${round1(model.sizeGiB)} GiB) (--burst-model ${choice.model})` };
    }
    case 'auto': {
      if (!disk) return { none: 'no block device under the data-root' };
      const cloud = identifyCloudVolume(disk);
      if (!cloud) return { none: `${name} is not a cloud volume stowage recognises; give --burst-model to model it` };
      if (cloud.provider === 'aws' && cloud.kind === 'ebs' && size !== undefined) {
        const model = gp2Model(size);
        if (model.fullBurstSeconds === Infinity) return { none: `${name} is an ${describeCloudVolume(cloud)} of ${Math.round(model.sizeGiB)} GiB: as gp2 it would not burst` };
        return { model, basis: `${name} is an ${describeCloudVolume(cloud)}; modelled as gp2 by its size (gp3 and io1/io2 do not burst: --burst-model none)` };
      }
      if (cloud.provider === 'azure' && cloud.kind === 'managed-disk') {
        // the disk says only "Msft Virtual Disk": its SKU comes from the metadata service (src/host/azure-disk-sku.ts)
        if (!azure) return { none: `${name} is an ${describeCloudVolume(cloud)} whose SKU was not looked up; give --burst-model` };
        return azureAuto(name, azure, size);
      }
      return { none: `${name} is an ${describeCloudVolume(cloud)}, which has no credit-based bursting stowage models; give --burst-model to model it` };
    }
  }
}

/** `auto` on an Azure managed disk: the model of its SKU at its size, with the SKU's confidence. */
function azureAuto(name: string, azure: AzureDiskIdentity, size: number | undefined): ChosenModel | { none: string } {
  const why = `${azure.note} [${azure.confidence}]`;
  if (azure.ephemeral) return { none: `${name} is on the VM's local storage (${azure.sku === 'resource-disk' ? 'its resource disk' : 'an ephemeral OS disk'}): no burst credits (${why})` };
  if (azure.sku !== 'premium-ssd' && azure.sku !== 'standard-ssd') {
    const what = { 'standard-hdd': 'Standard HDD does not burst', ultra: 'Ultra Disk has provisioned IOPS, no credits', 'premium-ssd-v2': 'Premium SSD v2 has provisioned IOPS, no credits', 'resource-disk': 'the local resource disk does not burst', unknown: 'a SKU stowage has no burst model for' }[azure.sku];
    return { none: `${name}: ${what} (${why})` };
  }
  const bytes = size ?? (azure.sizeGiB === undefined ? undefined : azure.sizeGiB * GIB);
  if (bytes === undefined) return { none: `${name} is Azure ${azure.sku}, of unknown size; give --size (${why})` };
  const modelName = azure.sku === 'premium-ssd' ? 'azure-premium' : 'azure-standard';
  const model = azureModel(modelName, bytes);
  if (!model) return { none: `${name} is Azure ${azure.sku === 'premium-ssd' ? 'Premium SSD over 512 GiB' : 'Standard SSD over 1 TiB'}: no credit-based bursting (${why})` };
  return { model, basis: `${name} modelled as Azure ${azure.sku === 'premium-ssd' ? 'Premium' : 'Standard'} SSD ${model.tier} (${round1(model.sizeGiB)} GiB): ${why}`, basisConfidence: azure.confidence };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
