/** bench start's `bench/burst-credits` finding, from the burst estimate over its samples. */
import { BENCH_FINDINGS, type BenchFinding } from './finding-ids.js';
import { formatDuration } from '../units.js';
import type { BurstEstimate } from '../measure/burst-estimate.js';

export function burstFinding(e: BurstEstimate): BenchFinding {
  const { model, meanIops, peakIops, creditsLeft, fullBucketSecondsAtMean, atBaselineShare, basis } = e;
  const name = e.disk;
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
  return {
    id: BENCH_FINDINGS.burstCredits.id,
    severity: spent ? 'error' : Number.isFinite(fullBucketSecondsAtMean) && fullBucketSecondsAtMean < 6 * 3600 ? 'warn' : 'info',
    title: spent
      ? `IOPS on ${name} sat at the gp2 baseline of ${model.baselineIops} while tasks waited: the burst credits are spent`
      : Number.isFinite(fullBucketSecondsAtMean)
        ? `at this run's ${Math.round(meanIops)} IOPS a full gp2 bucket on ${name} lasts ${formatDuration(fullBucketSecondsAtMean * 1000)}, then IOPS drop to ${model.baselineIops}`
        : `this run stayed under ${name}'s gp2 baseline of ${model.baselineIops} IOPS: credits do not run out at this rate`,
    evidence,
    fix: {
      summary: 'Use gp3 (3,000 IOPS baseline, no credits) or a volume of 1 TiB or more, or put the data-root on instance storage.',
      commands: ['aws ec2 modify-volume --volume-id VOLUME --volume-type gp3'],
    },
    subject: { kind: 'device', id: name },
  };
}
