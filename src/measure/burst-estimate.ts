/**
 * Burst credits over a run of samples: when the disk is a burstable volume (gp2), step the credit model
 * through the sampled IOPS: how long the credits last at this rate, or that IOPS sat at the baseline, which
 * is what a spent bucket looks like. bench start reports it; watch can keep it running.
 */
import { gp2Model, simulateCredits, type BurstModel } from './burst-model.js';
import { identifyCloudVolume, describeCloudVolume } from '../host/cloud-volume.js';
import type { DiskAttributes } from '../host/block-device.js';
import type { DeviceSample } from './sampler.js';

export type BurstModelChoice = 'auto' | 'gp2' | 'none';

export interface BurstEstimate {
  /** The disk modelled. */
  disk: string;
  model: BurstModel;
  /** Why this model applies. */
  basis: string;
  observedSeconds: number;
  meanIops: number;
  peakIops: number;
  /** Credits the run used, starting from a full bucket (the real start level is not visible from the host). */
  creditsSpent: number;
  creditsLeft: number;
  /** How long a full bucket lasts at the run's mean IOPS; Infinity when at or under baseline. */
  fullBucketSecondsAtMean: number;
  /** Share of samples whose IOPS sat within 15% of the baseline while tasks were blocked on I/O. */
  atBaselineShare: number;
}

export function burstEstimate(disk: DiskAttributes, samples: readonly DeviceSample[], choice: BurstModelChoice): BurstEstimate | undefined {
  if (choice === 'none' || disk.sizeBytes === undefined || samples.length === 0) return undefined;
  let basis: string;
  if (choice === 'gp2') basis = `${disk.name} modelled as gp2 (--burst-model gp2)`;
  else {
    const cloud = identifyCloudVolume(disk);
    if (!cloud || cloud.provider !== 'aws' || cloud.kind !== 'ebs') return undefined;
    basis = `${disk.name} is an ${describeCloudVolume(cloud)}; modelled as gp2 (gp3 and io1/io2 do not burst)`;
  }
  const model = gp2Model(disk.sizeBytes);
  // at 1,000 GiB and above gp2's baseline reaches the burst rate: there are no credits to spend
  if (model.fullBurstSeconds === Infinity) return undefined;
  const steps = samples.map((s) => ({ seconds: s.intervalMs / 1000, iops: s.readIops + s.writeIops }));
  const credits = simulateCredits(model, steps);
  const observedSeconds = steps.reduce((a, s) => a + s.seconds, 0);
  const meanIops = observedSeconds > 0 ? steps.reduce((a, s) => a + s.iops * s.seconds, 0) / observedSeconds : 0;
  const peakIops = Math.max(...steps.map((s) => s.iops));
  const creditsLeft = credits[credits.length - 1] ?? model.bucketCredits;
  const fullBucketSecondsAtMean = meanIops > model.baselineIops ? model.bucketCredits / (meanIops - model.baselineIops) : Infinity;
  const atBaseline = samples.filter((s) => {
    const iops = s.readIops + s.writeIops;
    return Math.abs(iops - model.baselineIops) <= 0.15 * model.baselineIops && (s.blockedTasks > 0 || s.iowaitPercent >= 10);
  }).length;
  const atBaselineShare = atBaseline / samples.length;
  return { disk: disk.name, model, basis, observedSeconds, meanIops, peakIops, creditsSpent: model.bucketCredits - creditsLeft, creditsLeft, fullBucketSecondsAtMean, atBaselineShare };
}
