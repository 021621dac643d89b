/**
 * Which burst-credit model watch runs for the data-root disk: found from the device's identity (an EBS
 * volume is modelled as gp2 by its size), named (`gp2`, Azure's credit-based `azure-premium` and
 * `azure-standard` sizes, with `--size`), or given as numbers (baseline, burst and bucket).
 */
import { gp2Model, type BurstModel } from '../measure/burst-model.js';
import { describeCloudVolume, identifyCloudVolume } from '../host/cloud-volume.js';
import type { DiskAttributes } from '../host/block-device.js';
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
}

const GIB = 1024 ** 3;
/** Azure credit-based bursting lasts 30 minutes at the full burst rate from a full bucket. */
const AZURE_BURST_SECONDS = 1800;

/**
 * Azure premium SSD P1-P20 (up to 512 GiB) burst to 3,500 IOPS on credits; standard SSD E1-E30 (up to 1 TiB)
 * to 600 IOPS. Baselines by tier from Azure's "Managed disk bursting" and disk-types pages; the bucket is
 * what 30 minutes at the burst rate spends.
 */
const AZURE_PREMIUM: [maxGiB: number, baseline: number][] = [[4, 120], [8, 120], [16, 120], [32, 120], [64, 240], [128, 500], [256, 1100], [512, 2300]];
const AZURE_STANDARD: [maxGiB: number, baseline: number][] = [[4, 500], [8, 500], [16, 500], [32, 500], [64, 500], [128, 500], [256, 500], [512, 500], [1024, 500]];

function azureModel(name: string, table: [number, number][], burstIops: number, sizeBytes: number): BurstModel | undefined {
  const sizeGiB = sizeBytes / GIB;
  const tier = table.find(([max]) => sizeGiB <= max);
  if (!tier) return undefined;
  const baselineIops = tier[1];
  const bucketCredits = (burstIops - baselineIops) * AZURE_BURST_SECONDS;
  return { name, sizeGiB, baselineIops, burstIops, bucketCredits, fullBurstSeconds: AZURE_BURST_SECONDS };
}

/** A model from three numbers; the bucket lasts bucket / (burst - baseline) seconds at the burst rate. */
export function customModel(baselineIops: number, burstIops: number, bucketCredits: number): BurstModel {
  return { name: 'custom', sizeGiB: 0, baselineIops, burstIops, bucketCredits, fullBurstSeconds: bucketCredits / (burstIops - baselineIops) };
}

/**
 * The model for `disk` under `choice`, or undefined with the reason when none applies (an unknown disk under
 * `auto`, a gp2 volume too large to burst). Throws UsageError for numbers that cannot describe a bucket.
 */
export function chooseBurstModel(choice: BurstChoice, disk: DiskAttributes | undefined): ChosenModel | { none: string } {
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
      const model = azureModel(choice.model, premium ? AZURE_PREMIUM : AZURE_STANDARD, premium ? 3500 : 600, sized(choice.model));
      if (!model) return { none: `Azure ${premium ? 'premium SSD over 512 GiB' : 'standard SSD over 1 TiB'} does not burst on credits` };
      return { model, basis: `${name} modelled as Azure ${premium ? 'premium' : 'standard'} SSD of ${round1(model.sizeGiB)} GiB (--burst-model ${choice.model})` };
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
      // an Azure managed disk does not say whether it is premium or standard: the user names it
      return { none: `${name} is an ${describeCloudVolume(cloud)} whose burst tier the host cannot see; give --burst-model` };
    }
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;
