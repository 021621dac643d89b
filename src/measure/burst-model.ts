/**
 * Burst-credit models of cloud volumes. gp2 (AWS docs, "General Purpose SSD volumes"): baseline
 * 3 IOPS per GiB (min 100, max 16,000), bursts to 3,000 IOPS from a bucket of 5.4 M I/O credits that
 * fills at the baseline rate; a full bucket lasts credits / (burst - baseline) seconds.
 */

export interface BurstModel {
  name: string;
  sizeGiB: number;
  baselineIops: number;
  burstIops: number;
  bucketCredits: number;
  /** Seconds a full bucket sustains the burst rate; Infinity when baseline >= burst (no bursting). */
  fullBurstSeconds: number;
  /** Throughput limits in MB/s, where the provider publishes them per size (Azure); the credits count IOPS. */
  baselineMBps?: number;
  burstMBps?: number;
}

const GIB = 1024 ** 3;

export function gp2Model(sizeBytes: number): BurstModel {
  const sizeGiB = sizeBytes / GIB;
  const baselineIops = Math.min(16_000, Math.max(100, Math.floor(3 * sizeGiB)));
  const burstIops = 3000;
  const bucketCredits = 5_400_000;
  const fullBurstSeconds = baselineIops >= burstIops ? Infinity : bucketCredits / (burstIops - baselineIops);
  return { name: 'gp2', sizeGiB, baselineIops, burstIops, bucketCredits, fullBurstSeconds };
}

/**
 * Steps the credit bucket through observed IOPS samples: it drains by (iops - baseline) per second above
 * baseline and refills by (baseline - iops) below it, clamped to [0, bucket]. Returns credits after each.
 */
export function simulateCredits(model: BurstModel, samples: readonly { seconds: number; iops: number }[],
  startCredits = model.bucketCredits): number[] {
  let credits = startCredits;
  return samples.map(({ seconds, iops }) => {
    credits = Math.min(model.bucketCredits, Math.max(0, credits - (iops - model.baselineIops) * seconds));
    return credits;
  });
}

/** Smallest gp2 size, in GiB, whose baseline reaches the burst rate (no credits to run out). */
export const GP2_NO_BURST_GIB = 1000;
