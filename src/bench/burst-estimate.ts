/**
 * Burst credits during a benchmark: when the data-root disk is a burstable volume (gp2), step the credit
 * model through the sampled IOPS and say how long the credits last at this rate, or that IOPS sat at the
 * baseline, which is what a spent bucket looks like.
 */
import { gp2Model, simulateCredits, type BurstModel } from '../host/burst-model.js';
import { identifyCloudVolume, describeCloudVolume } from '../host/cloud-volume.js';
import type { DiskAttributes } from '../host/block-device.js';
import type { Finding } from '../findings.js';
import { formatDuration } from '../units.js';
import type { DeviceSample } from './sampler.js';

export type BurstModelChoice = 'auto' | 'gp2' | 'none';

export interface BurstEstimate {
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
  finding: Finding | undefined;
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
  const evidence = [
    { label: 'model', value: basis },
    { label: 'size', value: Math.round(model.sizeGiB), unit: 'GiB' },
    { label: 'baseline IOPS', value: model.baselineIops, unit: 'IOPS' },
    { label: 'burst IOPS', value: model.burstIops, unit: 'IOPS' },
    { label: 'mean IOPS during the run', value: Math.round(meanIops), unit: 'IOPS' },
    { label: 'peak IOPS', value: Math.round(peakIops), unit: 'IOPS' },
    { label: 'credits used (from a full bucket)', value: Math.round(model.bucketCredits - creditsLeft) },
    { label: 'a full bucket lasts at this rate', value: Number.isFinite(fullBucketSecondsAtMean) ? formatDuration(fullBucketSecondsAtMean * 1000) : 'forever (at or under baseline)' },
    { label: 'samples at baseline with tasks waiting', value: Math.round(atBaselineShare * 100), unit: '%' },
  ];
  const spent = atBaselineShare >= 0.3;
  const finding: Finding = {
    id: 'bench/burst-credits',
    severity: spent ? 'error' : Number.isFinite(fullBucketSecondsAtMean) && fullBucketSecondsAtMean < 6 * 3600 ? 'warn' : 'info',
    title: spent
      ? `IOPS on ${disk.name} sat at the gp2 baseline of ${model.baselineIops} while tasks waited: the burst credits are spent`
      : Number.isFinite(fullBucketSecondsAtMean)
        ? `at this run's ${Math.round(meanIops)} IOPS a full gp2 bucket on ${disk.name} lasts ${formatDuration(fullBucketSecondsAtMean * 1000)}, then IOPS drop to ${model.baselineIops}`
        : `this run stayed under ${disk.name}'s gp2 baseline of ${model.baselineIops} IOPS: credits do not run out at this rate`,
    evidence,
    fix: {
      summary: 'Use gp3 (3,000 IOPS baseline, no credits) or a volume of 1 TiB or more, or put the data-root on instance storage.',
      commands: ['aws ec2 modify-volume --volume-id VOLUME --volume-type gp3'],
    },
    subject: { kind: 'device', id: disk.name },
  };
  return { model, basis, observedSeconds, meanIops, peakIops, creditsSpent: model.bucketCredits - creditsLeft, creditsLeft, fullBucketSecondsAtMean, atBaselineShare, finding };
}
