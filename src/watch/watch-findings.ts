/**
 * watch's findings, judged on each reading: the credits run out within the horizon, the bucket is empty,
 * tasks stay in D state, the data-root's filesystem fills, the canary start is slow or fails. Pure: the
 * watcher hands in what it measured and raises or clears what changed.
 */
import { formatBytes, formatDuration } from '../units.js';
import type { CreditState } from './credit-tracker.js';
import { WATCH_FINDINGS, type WatchFinding } from './finding-ids.js';

export interface SpaceReading {
  path: string;
  totalBytes: number;
  availableBytes: number;
  /** (total - available) / total, as `df` computes Use%. */
  usedRatio: number;
}

export interface CanaryOutcome {
  image: string;
  durationMs: number;
  /** The rolling median of earlier healthy starts; undefined while warming up. */
  medianMs: number | undefined;
  slow: boolean;
  error: string | undefined;
}

export interface FindingInputs {
  device: string | undefined;
  credits: CreditState | undefined;
  horizonSeconds: number;
  /** Tasks in D state at each of the latest readings, newest last. */
  blockedRun: { count: number; blocked: string[] }[];
  /** Readings in a row with D-state tasks before it is a finding. */
  blockedReadings: number;
  space: SpaceReading | undefined;
  fullWarnRatio: number;
  fullErrorRatio: number;
  canary: CanaryOutcome | undefined;
  canaryFactor: number;
}

const round = (v: number) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10);
const seconds = (s: number) => formatDuration(s * 1000);

export function judgeFindings(i: FindingInputs): WatchFinding[] {
  const out: WatchFinding[] = [];
  const device = { kind: 'device' as const, id: i.device ?? 'data-root' };
  const c = i.credits;
  if (c?.exhaustedObserved) {
    out.push({
      id: WATCH_FINDINGS.creditsExhausted.id,
      severity: 'error',
      title: `${device.id} is out of burst credits: IOPS pinned at the ${c.baselineIops} IOPS baseline while I/O waits`,
      evidence: [
        { label: 'IOPS (mean over the rate window)', value: round(c.rateIops), unit: 'IOPS' },
        { label: 'baseline', value: c.baselineIops, unit: 'IOPS' },
        { label: 'burst', value: c.burstIops, unit: 'IOPS' },
        { label: 'model', value: c.basis },
      ],
      fix: {
        summary: 'Move the data-root to a volume that does not run on credits (gp3 or io1/io2, a larger gp2, local NVMe), or cut the I/O (fewer container starts, log to a volume); credits refill only while I/O stays under the baseline.',
        commands: ['aws ec2 modify-volume --volume-id VOL --volume-type gp3'],
      },
      subject: device,
    });
  } else if (c && c.secondsToExhaustion !== null && c.secondsToExhaustion <= i.horizonSeconds) {
    const fewer = c.rateIops / c.baselineIops;
    // at zero the model says the bucket is spent; it stays a prediction until the ceiling is seen at the baseline
    const when = c.creditsLeft > 0 ? `runs out of burst credits in ${c.confidence === 'known' ? '' : 'at most '}${seconds(c.secondsToExhaustion)}` : 'has spent its burst credits by the model';
    out.push({
      id: WATCH_FINDINGS.exhaustionPredicted.id,
      severity: 'warn',
      title: `${device.id} ${when} at the current ${round(c.rateIops)} IOPS; `
        + `then I/O drops to the ${c.baselineIops} IOPS baseline${fewer >= 1.5 ? ` (${round(fewer)}x slower)` : ''}`,
      evidence: [
        { label: 'seconds to exhaustion', value: Math.round(c.secondsToExhaustion), unit: 's' },
        { label: 'credits left', value: Math.round(c.creditsLeft), unit: 'credits' },
        { label: 'bucket', value: c.bucketCredits, unit: 'credits' },
        { label: 'IOPS (mean over the rate window)', value: round(c.rateIops), unit: 'IOPS' },
        { label: 'baseline', value: c.baselineIops, unit: 'IOPS' },
        { label: 'confidence', value: c.confidenceNote },
      ],
      fix: {
        summary: 'Shed I/O before the bucket empties (pause batch jobs, CI loops), or change the volume to one that does not burst (gp3, io1/io2) while it is still fast.',
        commands: ['aws ec2 modify-volume --volume-id VOL --volume-type gp3'],
      },
      subject: device,
    });
  }
  const run = i.blockedRun.slice(-i.blockedReadings);
  if (run.length >= i.blockedReadings && run.every((r) => r.count > 0)) {
    const last = run[run.length - 1]!;
    out.push({
      id: WATCH_FINDINGS.blockedTasks.id,
      severity: 'warn',
      title: `${last.count} task${last.count === 1 ? '' : 's'} in D state (waiting on I/O) for ${run.length} readings in a row`,
      evidence: [
        { label: 'tasks in D state', value: last.count },
        ...(last.blocked.length ? [{ label: 'tasks', value: last.blocked.join(', ') }] : []),
      ],
      fix: { summary: 'Tasks that stay in uninterruptible sleep wait on a slow or stuck device: check its await and throttling (stowage doctor).', commands: ['stowage doctor --only io'] },
      subject: { kind: 'host', id: 'host' },
    });
  }
  if (i.space && i.space.usedRatio >= i.fullWarnRatio) {
    const s = i.space;
    out.push({
      id: WATCH_FINDINGS.diskNearlyFull.id,
      severity: s.usedRatio >= i.fullErrorRatio ? 'error' : 'warn',
      title: `${s.path} is ${Math.round(s.usedRatio * 100)}% full (${formatBytes(s.availableBytes)} left of ${formatBytes(s.totalBytes)})`,
      evidence: [
        { label: 'used', value: Math.round(s.usedRatio * 1000) / 10, unit: '%' },
        { label: 'available', value: s.availableBytes, unit: 'bytes' },
        { label: 'size', value: s.totalBytes, unit: 'bytes' },
      ],
      fix: { summary: 'Remove what nothing uses (build cache, dangling images, stopped containers) or grow the filesystem.', commands: ['docker system df', 'docker builder prune', 'docker image prune'] },
      subject: { kind: 'filesystem', id: s.path },
    });
  }
  const k = i.canary;
  if (k?.error) {
    out.push({
      id: WATCH_FINDINGS.canaryFailed.id,
      severity: 'warn',
      title: `the canary container (${k.image}) failed: ${k.error}`,
      evidence: [{ label: 'error', value: k.error }],
      fix: { summary: 'Check that the image is present and runs: docker run --rm IMAGE.' },
      subject: { kind: 'image', id: k.image },
    });
  } else if (k?.slow && k.medianMs !== undefined) {
    out.push({
      id: WATCH_FINDINGS.canarySlow.id,
      severity: 'warn',
      title: `a container start took ${formatDuration(k.durationMs)}, ${round(k.durationMs / k.medianMs)}x its rolling median of ${formatDuration(k.medianMs)}`,
      evidence: [
        { label: 'start', value: Math.round(k.durationMs), unit: 'ms' },
        { label: 'rolling median', value: Math.round(k.medianMs), unit: 'ms' },
        { label: 'factor', value: i.canaryFactor },
      ],
      fix: { summary: 'Slow starts with a slow data-root disk: see the disk findings beside this one, and stowage bench start to reproduce.', commands: ['stowage bench start --image IMAGE --duration 2m'] },
      subject: { kind: 'image', id: k.image },
    });
  }
  return out;
}
