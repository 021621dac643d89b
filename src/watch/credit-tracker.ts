/**
 * Burst credits kept running from the measured IOPS. The host cannot see the bucket's level when watch
 * starts, so the tracker keeps two bounds: the upper one assumes a full bucket, the lower one an empty one.
 * Both drain by (IOPS - baseline) and refill by (baseline - IOPS) per second, clamped to the bucket; they
 * meet when a refill long enough to fill any bucket has passed, or when the upper one reaches zero, or when
 * the IOPS ceiling is seen dropping to the baseline (the bucket is empty: both are set to zero). The estimate
 * is the upper bound (the optimistic one, so a prediction of exhaustion is never early), and the gap between
 * the bounds is its stated confidence. Pure: time comes from the samples' intervals.
 */
import type { BurstModel } from '../measure/burst-model.js';

export type CreditConfidence = 'assumed-full' | 'bounded' | 'known';

export interface CreditState {
  model: string;
  baselineIops: number;
  burstIops: number;
  bucketCredits: number;
  /** Why this model applies. */
  basis: string;
  /** The estimate: credits left (the upper bound). */
  creditsLeft: number;
  creditsLowerBound: number;
  creditsUpperBound: number;
  /** creditsLeft / bucket, as CloudWatch's BurstBalance (0..1). */
  balanceRatio: number;
  /** 1 - (upper - lower) / bucket: 1 when the level is known, 0 when nothing is. */
  confidenceRatio: number;
  confidence: CreditConfidence;
  /** What the confidence rests on, in one sentence. */
  confidenceNote: string;
  /** The IOPS the prediction runs at (mean over the rate window). */
  rateIops: number;
  /** Seconds until the bucket is empty at `rateIops`; null when not draining (at or under baseline). */
  secondsToExhaustion: number | null;
  /** Seconds until the bucket is full again at `rateIops`; null when not refilling. */
  secondsToFull: number | null;
  /** The IOPS ceiling was seen at the baseline while I/O waited. */
  exhaustedObserved: boolean;
  /** Seconds of samples the tracker has stepped through. */
  observedSeconds: number;
}

/** Within this share of the bucket the bounds count as met. */
const KNOWN_GAP = 0.01;

export class CreditTracker {
  private upper: number;
  private lower: number;
  private observed = 0;
  private exhausted = false;
  private emptySeen = false;

  constructor(readonly model: BurstModel, readonly basis: string, start?: { credits: number }) {
    // a level given by the caller (a test, a recorded run) is known; otherwise only its bounds are
    this.upper = start ? clamp(start.credits, model.bucketCredits) : model.bucketCredits;
    this.lower = start ? this.upper : 0;
  }

  /** Steps both bounds through `seconds` at `iops` (a real volume never goes above its burst rate). */
  observe(seconds: number, iops: number): void {
    const delta = (Math.min(iops, this.model.burstIops) - this.model.baselineIops) * seconds;
    this.upper = clamp(this.upper - delta, this.model.bucketCredits);
    this.lower = clamp(this.lower - delta, this.model.bucketCredits);
    this.observed += seconds;
    if (this.upper === 0) this.emptySeen = true;
  }

  /** The ceiling dropped to the baseline while I/O waited: the bucket is empty now, whatever the bounds said. */
  observeThrottled(throttled: boolean): void {
    this.exhausted = throttled;
    if (throttled) {
      this.upper = 0;
      this.lower = 0;
      this.emptySeen = true;
    }
  }

  /** The state at `rateIops` (the caller's mean over its rate window). */
  state(rateIops: number): CreditState {
    const m = this.model;
    const gap = this.upper - this.lower;
    const confidenceRatio = 1 - gap / m.bucketCredits;
    const confidence: CreditConfidence = gap <= KNOWN_GAP * m.bucketCredits ? 'known' : this.lower > 0 || this.upper < m.bucketCredits ? 'bounded' : 'assumed-full';
    const drain = Math.min(rateIops, m.burstIops) - m.baselineIops;
    const credits = this.upper;
    return {
      model: m.name,
      baselineIops: m.baselineIops,
      burstIops: m.burstIops,
      bucketCredits: m.bucketCredits,
      basis: this.basis,
      creditsLeft: credits,
      creditsLowerBound: this.lower,
      creditsUpperBound: this.upper,
      balanceRatio: credits / m.bucketCredits,
      confidenceRatio,
      confidence,
      confidenceNote: this.note(confidence),
      rateIops,
      secondsToExhaustion: drain > 0 ? credits / drain : null,
      secondsToFull: drain < 0 && credits < m.bucketCredits ? (m.bucketCredits - credits) / -drain : null,
      exhaustedObserved: this.exhausted,
      observedSeconds: this.observed,
    };
  }

  private note(confidence: CreditConfidence): string {
    if (confidence === 'known') {
      return this.emptySeen ? 'known: the bucket was seen empty and has been followed since'
        : 'known: enough time under the baseline has passed to fill any bucket';
    }
    const level = 'the level when watch started is not visible from the host';
    return confidence === 'assumed-full' ? `assumed full: ${level}; an upper bound until the IOPS ceiling drops to the baseline or the bucket refills`
      : `bounded: between ${Math.round(this.lower)} and ${Math.round(this.upper)} credits (${level}); the estimate is the upper bound`;
  }
}

const clamp = (v: number, max: number) => Math.min(max, Math.max(0, v));

/** How the ceiling looks when the bucket is empty: IOPS near the baseline (never well above it) while I/O waits. */
export interface ThrottleSample {
  iops: number;
  blockedTasks: number;
  iowaitPercent: number;
  ioPressurePercent: number | undefined;
  queueDepth: number;
}

/**
 * The bucket is spent when, over the window, most samples sit within 15% of the baseline (none far above
 * it), the newest among them, while tasks wait on I/O: the disk would do more but is held at the baseline.
 */
export function throttledAtBaseline(model: BurstModel, window: readonly ThrottleSample[], minSamples: number): boolean {
  if (window.length < minSamples) return false;
  const near = (s: ThrottleSample) => s.iops >= 0.5 * model.baselineIops && s.iops <= 1.15 * model.baselineIops;
  const waiting = (s: ThrottleSample) => s.blockedTasks > 0 || s.iowaitPercent >= 10 || (s.ioPressurePercent ?? 0) >= 10 || s.queueDepth >= 1;
  const above = window.filter((s) => s.iops > 1.5 * model.baselineIops).length;
  const pinned = window.filter((s) => near(s) && waiting(s)).length;
  // the newest sample must be pinned too: once the load falls under the baseline the bucket refills at once
  return above === 0 && pinned >= 0.8 * window.length && near(window[window.length - 1]!) && waiting(window[window.length - 1]!);
}
